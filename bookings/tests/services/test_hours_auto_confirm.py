"""Hours neither confirmed nor disputed within the window confirm by themselves, once, through the parent's service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from bookings.models import Booking, BookingEvent, BookingStatus, HoursStatus
from bookings.services import (
    booking_dispute,
    booking_hours_auto_confirm_due,
    booking_hours_confirm,
)
from bookings.tests.factories import World, completed
from conftest import race
from guardiannest.audit.models import AuditEvent
from guardiannest.celery import app as celery_app
from guardiannest.errors import ApplicationError
from guardiannest.registries import beat_entries
from messaging.models import Notification
from payments.models import Payment, PaymentStatus

WORKERS = 6


def checked_out_ago(booking: Booking, hours: float) -> Booking:
    """The booking as if the sitter had checked out ``hours`` ago (setup only)."""
    at = timezone.now() - timedelta(hours=hours)
    Booking.objects.filter(pk=booking.pk).update(checked_in_at=at - timedelta(hours=2), checked_out_at=at)
    return Booking.objects.get(pk=booking.pk)


def payment_of(booking: Booking) -> Payment:
    return Payment.objects.get(pk=Booking.objects.get(pk=booking.pk).payment_id)


def past_window() -> float:
    return settings.BOOKING_DISPUTE_WINDOW_HOURS + 1


@pytest.mark.django_db(transaction=True)
def test_hours_past_the_window_are_confirmed_and_captured_once_by_racing_workers(world: World) -> None:
    booking = checked_out_ago(completed(world), past_window())
    assert payment_of(booking).status == PaymentStatus.AUTHORISED

    results = race(WORKERS, booking_hours_auto_confirm_due, timeout=120)

    assert sorted(results) == [0] * (WORKERS - 1) + [1], results  # type: ignore[type-var]
    booking.refresh_from_db()
    assert (booking.status, booking.hours_status) == (BookingStatus.COMPLETED, HoursStatus.CONFIRMED)
    payment = payment_of(booking)
    assert (payment.status, payment.captured_amount) == (PaymentStatus.CAPTURED, booking.price_amount)
    captures = AuditEvent.objects.filter(action="payment.captured", target_id=str(payment.pk))
    assert captures.count() == 1
    event = BookingEvent.objects.get(booking=booking, reason="auto-confirmed")
    assert event.actor is None and event.data["amount"] == booking.price_amount
    # Nobody acted, so both parties hear of it, once each.
    told = Notification.objects.filter(kind="booking.hours_confirmed").values_list("user_id", flat=True)
    assert sorted(map(str, told)) == sorted([str(world.parent.pk), str(world.sitter.pk)])


@pytest.mark.django_db
def test_hours_inside_the_window_are_left_for_the_parent(world: World) -> None:
    booking = checked_out_ago(completed(world), settings.BOOKING_DISPUTE_WINDOW_HOURS - 1)

    assert booking_hours_auto_confirm_due() == 0

    booking.refresh_from_db()
    assert booking.hours_status == HoursStatus.PENDING_CONFIRMATION
    assert payment_of(booking).status == PaymentStatus.AUTHORISED
    assert not BookingEvent.objects.filter(booking=booking, reason="auto-confirmed").exists()


@pytest.mark.django_db
def test_the_platform_cannot_confirm_inside_the_window_through_the_service(world: World) -> None:
    booking = completed(world)

    with pytest.raises(ApplicationError) as refused:
        booking_hours_confirm(booking_id=booking.pk, actor=None)

    assert refused.value.code == "transition_not_allowed"
    assert Booking.objects.get(pk=booking.pk).hours_status == HoursStatus.PENDING_CONFIRMATION


@pytest.mark.django_db
def test_disputed_hours_are_left_for_staff(world: World) -> None:
    booking = booking_dispute(booking_id=completed(world).pk, actor=world.parent, reason="Left early")
    checked_out_ago(booking, past_window())

    assert booking_hours_auto_confirm_due() == 0

    booking.refresh_from_db()
    assert (booking.status, booking.hours_status) == (BookingStatus.DISPUTED, HoursStatus.PENDING_CONFIRMATION)
    assert payment_of(booking).status == PaymentStatus.AUTHORISED


@pytest.mark.django_db
def test_hours_the_parent_confirmed_are_not_confirmed_again(world: World) -> None:
    booking = booking_hours_confirm(booking_id=completed(world).pk, actor=world.parent)
    checked_out_ago(booking, past_window())

    assert booking_hours_auto_confirm_due() == 0

    captures = AuditEvent.objects.filter(action="payment.captured", target_id=str(payment_of(booking).pk))
    assert captures.count() == 1
    assert not BookingEvent.objects.filter(booking=booking, reason="auto-confirmed").exists()


def test_the_beat_entry_runs_the_auto_confirmation() -> None:
    entry = beat_entries.get("bookings-hours-auto-confirm")

    assert entry is not None and entry["task"] == "bookings.booking_hours_auto_confirm"
    assert float(entry["schedule"]) > 0  # type: ignore[arg-type]
    assert "bookings.booking_hours_auto_confirm" in celery_app.tasks
