"""Worked time beyond the authorised price is charged too: a second payment, captured, the ledger balanced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bookings.models import Booking, OvertimeCharge
from bookings.services import booking_accept, booking_check_in, booking_check_out, booking_hours_confirm
from bookings.services.payments import OVERTIME_SUFFIX
from bookings.tests.factories import World
from payments.models import LedgerAccount, Payment, PaymentStatus
from payments.selectors import ledger_balances

pytestmark = pytest.mark.django_db

HOME: Any = {"latitude": "52.510000", "longitude": "13.400000"}


def _worked(world: World, *, booked_hours: int, worked: timedelta) -> Booking:
    booking = booking_accept(
        booking_id=world.book(start=timezone.now() + timedelta(minutes=20), hours=booked_hours).pk,
        actor=world.sitter,
    )
    booking_check_in(booking_id=booking.pk, actor=world.sitter, **HOME)
    # the sitter arrived ``worked`` ago (check-in is only possible around the start, so the row is moved back)
    Booking.objects.filter(pk=booking.pk).update(checked_in_at=timezone.now() - worked)
    return booking_check_out(booking_id=booking.pk, actor=world.sitter, **HOME)


def _assert_balanced(payment: Payment) -> None:
    balances = ledger_balances(payment=payment)
    assert sum(balances.values()) == 0
    assert balances[LedgerAccount.PARENT_CARD_HOLD] == 0
    assert balances[LedgerAccount.PROVIDER_CLEARING] == payment.captured_amount


def test_overtime_beyond_the_authorisation_is_captured_as_a_second_payment(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    # given: 2 hours booked (5000), 3 h 5 min worked → 3 h 15 min paid (8125)
    booking = _worked(world, booked_hours=2, worked=timedelta(hours=3, minutes=5))

    # when (the charge is made once the confirmation has committed)
    with django_capture_on_commit_callbacks(execute=True):
        booking_hours_confirm(booking_id=booking.pk, actor=world.parent)
    with django_capture_on_commit_callbacks(execute=True) as again:
        booking_hours_confirm(booking_id=booking.pk, actor=world.parent)  # again: nothing more is taken

    # then
    main = Payment.objects.get(reference=str(booking.pk))
    overtime = Payment.objects.get(reference=f"{booking.pk}{OVERTIME_SUFFIX}")
    assert (main.status, main.captured_amount) == (PaymentStatus.CAPTURED, 5000)
    assert (overtime.status, overtime.captured_amount) == (PaymentStatus.CAPTURED, 8125 - 5000)
    assert (overtime.payer_id, overtime.payee_id) == (world.parent.pk, world.sitter.pk)
    _assert_balanced(main)
    _assert_balanced(overtime)
    assert sum(ledger_balances().values()) == 0
    assert again == []
    charge = OvertimeCharge.objects.get(booking=booking)
    assert (charge.status, charge.amount, charge.attempts, charge.payment_id) == ("charged", 3125, 1, overtime.pk)


def test_time_within_the_booking_needs_no_second_payment(world: World) -> None:
    booking = _worked(world, booked_hours=2, worked=timedelta(hours=1, minutes=50))

    booking_hours_confirm(booking_id=booking.pk, actor=world.parent)

    assert Payment.objects.get(reference=str(booking.pk)).captured_amount == booking.price_amount
    assert not Payment.objects.filter(reference__endswith=OVERTIME_SUFFIX).exists()
    assert not OvertimeCharge.objects.exists()
