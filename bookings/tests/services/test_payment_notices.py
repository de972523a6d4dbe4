"""Payments tells bookings about a booking's payment (the handler registered at start-up); repeats are harmless."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.services import booking_accept, booking_cancel
from bookings.tests.factories import World, declining_card
from messaging.models import Notification
from payments.models import LedgerAccount, Payment, PaymentStatus
from payments.providers.simulated import AUTHENTICATE_LAST4, SimulatedProvider
from payments.selectors import ledger_balances
from payments.services import customer_for, payment_authorise, payment_method_remove, payment_methods_sync
from payments.services.notices import payment_event_deliver
from payments.services.reauthorisation import payments_reauthorise_due

pytestmark = pytest.mark.django_db


def _authorised_later(world: World) -> tuple[str, str]:
    """A booking accepted with a declined card, then paid with a new card: (booking id, payment id)."""
    declining_card(world.parent)
    booking = booking_accept(booking_id=world.book().pk, actor=world.sitter)
    assert booking.status == BookingStatus.ACCEPTED
    customer = customer_for(parent=world.parent)
    SimulatedProvider().card_add(customer_id=customer.provider_customer_id, last4="4242")
    payment_methods_sync(customer=customer)
    payment = payment_authorise(
        payer=world.parent, payee=world.sitter, amount=booking.price_amount, reference=str(booking.pk), actor=None
    )
    return str(booking.pk), str(payment.pk)


def test_a_payment_authorised_later_confirms_the_accepted_booking_once(world: World) -> None:
    booking_id, payment_id = _authorised_later(world)

    payment_event_deliver(payment_id=payment_id, event="authorised")
    payment_event_deliver(payment_id=payment_id, event="authorised")

    confirmed = BookingEvent.objects.filter(booking_id=booking_id, to_status="confirmed")
    assert confirmed.count() == 1
    assert str(confirmed.get().booking.payment_id) == payment_id


def test_a_notice_for_a_cancelled_booking_changes_nothing(world: World) -> None:
    booking_id, payment_id = _authorised_later(world)
    booking_cancel(booking_id=booking_id, actor=world.parent)  # type: ignore[arg-type]

    payment_event_deliver(payment_id=payment_id, event="authorised")

    assert not BookingEvent.objects.filter(booking_id=booking_id, to_status="confirmed").exists()


def test_a_failed_reauthorisation_asks_the_parent_to_act_once(world: World) -> None:
    booking = booking_accept(booking_id=world.book().pk, actor=world.sitter)
    assert booking.status == BookingStatus.CONFIRMED
    payment = Payment.objects.get(reference=str(booking.pk))
    # The card that paid is removed; the parent's new card needs them to approve each payment with the bank.
    assert payment.payment_method is not None
    payment_method_remove(method=payment.payment_method, actor=world.parent)
    customer = customer_for(parent=world.parent)
    SimulatedProvider().card_add(customer_id=customer.provider_customer_id, last4=AUTHENTICATE_LAST4)
    payment_methods_sync(customer=customer)
    Payment.objects.filter(pk=payment.pk).update(authorised_at=timezone.now() - timedelta(days=6, hours=12))
    assert payments_reauthorise_due() == {"renewed": 0, "failed": 1, "skipped": 0}

    payment_event_deliver(payment_id=str(payment.pk), event="reauthorisation_failed")
    payment_event_deliver(payment_id=str(payment.pk), event="reauthorisation_failed")  # notices repeat

    told = Notification.objects.filter(kind="booking.payment_action_needed")
    assert [(n.user, n.data["booking_id"]) for n in told] == [(world.parent, str(booking.pk))]
    assert "Check your card" in told.get().title
    assert BookingEvent.objects.filter(booking_id=booking.pk).last().to_status == "confirmed"  # type: ignore[union-attr]


def _cancelled_then_authorised(world: World, start: Any = None) -> tuple[Booking, Payment]:
    """Accepted with a declined card, cancelled by the parent, then authorised after all (a new card, a retry)."""
    declining_card(world.parent)
    booking = booking_accept(booking_id=world.book(start=start).pk, actor=world.sitter)
    booking_cancel(booking_id=booking.pk, actor=world.parent)
    customer = customer_for(parent=world.parent)
    SimulatedProvider().card_add(customer_id=customer.provider_customer_id, last4="4242")
    payment_methods_sync(customer=customer)
    payment = payment_authorise(
        payer=world.parent, payee=world.sitter, amount=booking.price_amount, reference=str(booking.pk), actor=None
    )
    assert payment.status == PaymentStatus.AUTHORISED
    return booking, payment


def test_a_payment_authorised_after_a_free_cancellation_is_released(world: World) -> None:
    booking, payment = _cancelled_then_authorised(world)

    payment_event_deliver(payment_id=str(payment.pk), event="authorised")
    payment_event_deliver(payment_id=str(payment.pk), event="authorised")  # a repeat changes nothing

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.RELEASED
    assert payment.captured_amount == 0
    assert ledger_balances(payment=payment)[LedgerAccount.PARENT_CARD_HOLD] == 0
    booking.refresh_from_db()
    assert (booking.status, booking.payment_id) == (BookingStatus.CANCELLED, payment.pk)


def test_a_payment_authorised_after_a_late_cancellation_pays_the_fee_and_releases_the_rest(world: World) -> None:
    booking, payment = _cancelled_then_authorised(world, start=timezone.now() + timedelta(hours=10))
    booking.refresh_from_db()
    assert 0 < booking.cancellation_fee_amount < booking.price_amount

    payment_event_deliver(payment_id=str(payment.pk), event="authorised")

    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount) == (PaymentStatus.CAPTURED, booking.cancellation_fee_amount)
    balances = ledger_balances(payment=payment)
    assert balances[LedgerAccount.PARENT_CARD_HOLD] == 0
    assert balances[LedgerAccount.PROVIDER_CLEARING] == booking.cancellation_fee_amount
    assert sum(balances.values()) == 0
