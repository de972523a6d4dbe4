"""The demo bookings: one in each status between the demo families and sitters, made once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, BookingEvent, BookingStatus, HoursStatus
from bookings.selectors import booking_family_for
from payments.models import Payment, PaymentStatus
from sitters.models import Hold, Review

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_a_booking_in_each_status_once() -> None:
    call_command("seed_demo")
    counts = (Booking.objects.count(), BookingEvent.objects.count(), Payment.objects.count(), Review.objects.count())

    call_command("seed_demo")

    assert (
        Booking.objects.count(),
        BookingEvent.objects.count(),
        Payment.objects.count(),
        Review.objects.count(),
    ) == counts
    assert set(Booking.objects.values_list("status", flat=True)) == set(BookingStatus.values)
    assert set(Booking.objects.values_list("parent__email", flat=True)) == {
        "parent.anna@guardiannest.demo",
        "parent.ben@guardiannest.demo",
    }
    for booking in Booking.objects.all():
        moves = list(booking.events.values_list("to_status", flat=True))
        assert moves[0] == "requested" and moves[-1] == booking.status
        held = booking.status in ("accepted", "confirmed", "in_progress")
        assert Hold.objects.filter(reference=booking.pk).exists() == held


def test_the_demo_has_a_booking_in_progress_now_whose_sitter_sees_the_family() -> None:
    call_command("seed_demo")
    now = timezone.now()

    live = Booking.objects.get(status=BookingStatus.IN_PROGRESS)

    assert live.starts_at <= now < live.ends_at and live.checked_in_at is not None
    assert Payment.objects.get(pk=live.payment_id).status == PaymentStatus.AUTHORISED
    family = booking_family_for(booking=live, reader=User.objects.get(pk=live.sitter_id))
    assert family is not None and family.address is not None and family.children


def test_the_demo_has_a_completed_booking_with_a_review_and_a_reply() -> None:
    call_command("seed_demo")

    done = Booking.objects.get(status=BookingStatus.COMPLETED)

    assert done.hours_status == HoursStatus.CONFIRMED
    assert Payment.objects.get(pk=done.payment_id).status == PaymentStatus.CAPTURED
    review = Review.objects.get(booking_id=done.pk)
    assert review.rating == 5 and review.reply and review.author_id == done.parent_id
    assert review.sitter.rating_count == 1
