"""A failed overtime charge is a row the beat re-drives: claimed once per attempt, backed off, bounded, then told.

The simulated provider declines the parent's card (``0341``) until they add
one that works; Stripe (localstripe on loopback) is out of reach, then back.
The beat job is run with its clock (``now``) moved on.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking, OvertimeCharge, OvertimeStatus
from bookings.services import booking_check_in, booking_check_out, booking_hours_confirm
from bookings.services.overtime import (
    CLAIM_TIMEOUT,
    booking_overtime_charge,
    booking_overtime_charge_due,
    overtime_backoff,
    overtime_reference,
)
from bookings.tests.factories import HOME, World, confirmed_soon, declining_card
from guardiannest.audit.models import AuditEvent
from messaging.models import Notification
from payments.models import Payment, PaymentStatus
from payments.providers.simulated import SimulatedProvider
from payments.selectors import ledger_balances
from payments.services import customer_for, payment_methods_sync
from payments.tests.conftest import localstripe_server  # noqa: F401  (Stripe on loopback, a session fixture)
from payments.tests.stripe_app import WEBHOOK_SECRET, LocalStripe

pytestmark = pytest.mark.django_db


def _overtime_owed(world: World, capture: Any) -> OvertimeCharge:
    """2 h booked (5000), 3 h 5 min worked → 3125 owed beyond the authorisation; the hours confirmed."""
    booking = confirmed_soon(world, hours=2)
    booking_check_in(booking_id=booking.pk, actor=world.sitter, **HOME)
    Booking.objects.filter(pk=booking.pk).update(checked_in_at=timezone.now() - timedelta(hours=3, minutes=5))
    booking_check_out(booking_id=booking.pk, actor=world.sitter, **HOME)
    declining_card(world.parent)  # the card the overtime is charged to declines
    with capture(execute=True):
        booking_hours_confirm(booking_id=booking.pk, actor=world.parent)
    return OvertimeCharge.objects.get(booking=booking)


def _card_that_works(world: World) -> None:
    customer = customer_for(parent=world.parent)
    SimulatedProvider().card_add(customer_id=customer.provider_customer_id, last4="4242")
    payment_methods_sync(customer=customer)


def test_a_declined_overtime_is_retried_after_a_backoff_and_charged_once_the_card_works(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    # given the first attempt (after the confirmation committed) was declined
    charge = _overtime_owed(world, django_capture_on_commit_callbacks)
    assert (charge.status, charge.attempts, charge.last_error) == (OvertimeStatus.PENDING, 1, "card_declined")
    assert charge.next_attempt_at - charge.updated_at == pytest.approx(overtime_backoff(1), abs=timedelta(seconds=5))
    assert charge.claimed_at is None
    payment = Payment.objects.get(reference=overtime_reference(charge.booking_id))
    assert payment.status == PaymentStatus.REQUIRES_PAYMENT_METHOD

    # when the beat runs before the retry is due: nothing is tried
    assert booking_overtime_charge_due() == {"charged": 0, "retry": 0, "failed": 0, "skipped": 0}

    # and once due, after the parent added a card that works
    _card_that_works(world)
    results = booking_overtime_charge_due(now=charge.next_attempt_at + timedelta(seconds=1))

    # then it is charged, on the same payment, and the ledger balances
    assert results["charged"] == 1
    charge.refresh_from_db()
    payment.refresh_from_db()
    assert (charge.status, charge.attempts, charge.last_error, charge.payment_id) == ("charged", 2, "", payment.pk)
    assert (payment.status, payment.captured_amount) == (PaymentStatus.CAPTURED, 3125)
    assert sum(ledger_balances(payment=payment).values()) == 0
    actions = list(AuditEvent.objects.filter(target_id=str(charge.booking_id)).values_list("action", flat=True))
    assert actions.count("booking.overtime_charge_retried") == 1 and actions.count("booking.overtime_charged") == 1
    # and the beat finds nothing more to do
    assert booking_overtime_charge_due(now=charge.next_attempt_at + timedelta(days=1))["charged"] == 0


def test_after_the_last_attempt_it_fails_the_parent_is_told_and_the_hold_released(
    world: World, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.BOOKING_OVERTIME_MAX_ATTEMPTS = 3
    charge = _overtime_owed(world, django_capture_on_commit_callbacks)
    waits = []

    # when the beat re-drives it at each due time, and the card keeps declining
    for _ in range(2):
        charge.refresh_from_db()
        waits.append(charge.next_attempt_at)
        with django_capture_on_commit_callbacks(execute=True):
            booking_overtime_charge_due(now=charge.next_attempt_at)

    # then it stops at the third attempt, with growing waits in between
    charge.refresh_from_db()
    assert (charge.status, charge.attempts, charge.last_error) == (OvertimeStatus.FAILED, 3, "card_declined")
    assert waits[1] - waits[0] == overtime_backoff(2) and overtime_backoff(2) == 2 * overtime_backoff(1)
    assert Notification.objects.filter(user=world.parent, kind="booking.overtime_failed").count() == 1
    assert AuditEvent.objects.filter(action="booking.overtime_failed", target_id=str(charge.booking_id)).count() == 1
    payment = Payment.objects.get(reference=overtime_reference(charge.booking_id))
    assert payment.status == PaymentStatus.RELEASED
    # and a failed charge is never tried again by the beat
    assert booking_overtime_charge_due(now=timezone.now() + timedelta(days=2))["failed"] == 0
    assert OvertimeCharge.objects.get(pk=charge.pk).attempts == 3


def test_the_backoff_doubles_up_to_its_cap(settings: Any) -> None:
    settings.BOOKING_OVERTIME_RETRY_SECONDS, settings.BOOKING_OVERTIME_RETRY_MAX_SECONDS = 60, 300

    assert [overtime_backoff(n).total_seconds() for n in range(1, 6)] == [60, 120, 240, 300, 300]


def test_a_claimed_row_is_skipped_until_its_claim_times_out(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    charge = _overtime_owed(world, django_capture_on_commit_callbacks)
    _card_that_works(world)
    due = charge.next_attempt_at
    OvertimeCharge.objects.filter(pk=charge.pk).update(claimed_at=due)  # a worker is making this attempt

    assert booking_overtime_charge(charge_id=charge.pk, now=due + timedelta(minutes=1)) == "skipped"
    assert booking_overtime_charge(charge_id=charge.pk, now=due + CLAIM_TIMEOUT + timedelta(seconds=1)) == "charged"


@pytest.mark.django_db(transaction=True)
def test_racing_workers_make_one_attempt(world: World) -> None:
    # given an owed charge, due, with a card that works
    booking = confirmed_soon(world, hours=2)
    charge = OvertimeCharge.objects.create(booking=booking, amount=3125)
    now = timezone.now()
    start, outcomes = threading.Barrier(4), []

    def attempt() -> None:
        try:
            start.wait()
            outcomes.append(booking_overtime_charge(charge_id=charge.pk, now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["charged", "skipped", "skipped", "skipped"]
    charge.refresh_from_db()
    assert (charge.status, charge.attempts) == (OvertimeStatus.CHARGED, 1)
    assert Payment.objects.filter(reference=overtime_reference(booking.pk)).count() == 1


def test_staff_see_failed_charges_and_retry_one_through_the_service(
    world: World, django_capture_on_commit_callbacks: Any, settings: Any, staff_client: Client
) -> None:
    settings.BOOKING_OVERTIME_MAX_ATTEMPTS = 1
    charge = _overtime_owed(world, django_capture_on_commit_callbacks)
    assert charge.status == OvertimeStatus.FAILED
    changelist = reverse("admin:bookings_overtimecharge_changelist")

    failed = staff_client.get(changelist, {"status__exact": "failed"})
    charged = staff_client.get(changelist, {"status__exact": "charged"})
    page = staff_client.get(reverse("admin:bookings_overtimecharge_change", args=[charge.pk]))

    assert failed.status_code == 200 and str(charge.booking_id) in failed.content.decode()
    assert charged.status_code == 200 and str(charge.booking_id) not in charged.content.decode()
    assert page.status_code == 200 and b'name="_save"' not in page.content

    # when the parent's card works again and staff retry it
    _card_that_works(world)
    data = {"action": "retry_overtime", "_selected_action": [str(charge.pk)], "index": "0", "select_across": "0"}
    staff_client.post(changelist, data)

    charge.refresh_from_db()
    assert (charge.status, charge.attempts) == (OvertimeStatus.CHARGED, 1)
    assert Payment.objects.get(pk=charge.payment_id).status == PaymentStatus.CAPTURED


def test_a_stripe_outage_is_retried_and_the_same_attempt_charged_once_stripe_answers(
    world: World,
    localstripe_server: LocalStripe,  # noqa: F811  (the imported session fixture)
    settings: Any,
) -> None:
    # given a booking made before, and the parent's card saved at Stripe (localstripe)
    booking = confirmed_soon(world, hours=2)
    requests.delete(f"{localstripe_server.base}/_config/data", timeout=5)  # an empty store
    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = localstripe_server.key, localstripe_server.base
    settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_MAX_NETWORK_RETRIES = WEBHOOK_SECRET, 0
    customer = customer_for(parent=world.parent)
    localstripe_server.card_save(customer.provider_customer_id)
    payment_methods_sync(customer=customer)
    charge = OvertimeCharge.objects.create(booking=booking, amount=3125)
    now = timezone.now()

    # when Stripe cannot be reached at the first attempt
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nobody listens
    assert booking_overtime_charge(charge_id=charge.pk, now=now) == "retry"
    charge.refresh_from_db()
    assert (charge.status, charge.attempts, charge.last_error) == ("pending", 1, "payment_provider_unavailable")

    # and the beat tries again once it is due and Stripe answers
    settings.STRIPE_API_BASE = localstripe_server.base
    assert booking_overtime_charge_due(now=charge.next_attempt_at)["charged"] == 1

    # then one payment, captured at Stripe
    charge.refresh_from_db()
    [payment] = Payment.objects.filter(reference=overtime_reference(booking.pk))
    assert (charge.status, charge.attempts, charge.payment_id) == ("charged", 2, payment.pk)
    assert (payment.provider, payment.status, payment.captured_amount) == ("stripe", PaymentStatus.CAPTURED, 3125)
    assert payment.provider_intent_id.startswith("pi_")


@pytest.mark.django_db
def test_finance_sees_the_overtime_charges_and_support_too() -> None:
    from django.contrib.auth.models import Group

    for role in ("finance", "support"):
        group = Group.objects.get(name=role)
        assert group.permissions.filter(content_type__app_label="bookings", codename="view_overtimecharge").exists()
