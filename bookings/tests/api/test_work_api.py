"""Check-in, check-out and the parent's confirmation of the hours (the capture)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.problems import assert_problem
from bookings.models import Booking, BookingStatus, HoursStatus
from bookings.services import booking_accept, booking_check_in, booking_check_out
from bookings.services.work import worked_amount
from bookings.tests.factories import World
from payments.models import PaymentStatus
from sitters.models import Hold, SitterClient

pytestmark = pytest.mark.django_db

HOME = {"latitude": "52.510000", "longitude": "13.400000"}


def soon(world: World, minutes: int = 20, hours: int = 2) -> Booking:
    return booking_accept(
        booking_id=world.book(start=timezone.now() + timedelta(minutes=minutes), hours=hours).pk, actor=world.sitter
    )


def test_check_in_opens_30_minutes_before_the_start(world: World, sitter_api: APIClient) -> None:
    early = booking_accept(booking_id=world.book().pk, actor=world.sitter)  # in three days

    assert_problem(
        sitter_api.post(f"/api/v1/bookings/{early.pk}/check-in", HOME, format="json"), 409, "check_in_too_early"
    )


def test_check_in_starts_the_booking_and_keeps_the_place(world: World, sitter_api: APIClient) -> None:
    booking = soon(world)

    response = sitter_api.post(f"/api/v1/bookings/{booking.pk}/check-in", HOME, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_progress"
    assert response.json()["check_in_flagged"] is False


def test_a_check_in_far_from_home_is_flagged(world: World, sitter_api: APIClient) -> None:
    booking = soon(world)

    response = sitter_api.post(
        f"/api/v1/bookings/{booking.pk}/check-in", {"latitude": "52.60", "longitude": "13.40"}, format="json"
    )

    assert response.json()["check_in_flagged"] is True


def test_the_parent_cannot_check_in(world: World, parent_api: APIClient) -> None:
    booking = soon(world)

    assert_problem(
        parent_api.post(f"/api/v1/bookings/{booking.pk}/check-in", HOME, format="json"), 409, "transition_not_allowed"
    )


def test_check_out_completes_with_hours_pending_and_frees_the_sitter(world: World, sitter_api: APIClient) -> None:
    booking = soon(world)
    booking_check_in(booking_id=booking.pk, actor=world.sitter, latitude=HOME["latitude"], longitude=HOME["longitude"])  # type: ignore[arg-type]

    response = sitter_api.post(f"/api/v1/bookings/{booking.pk}/check-out", HOME, format="json")

    assert (response.json()["status"], response.json()["hours_status"]) == ("completed", "pending_confirmation")
    assert not Hold.objects.filter(reference=booking.pk).exists()
    assert SitterClient.objects.get(sitter_id=world.sitter.pk, parent=world.parent).bookings_count == 1


def test_the_parent_confirms_the_hours_and_the_booked_price_is_captured(world: World, parent_api: APIClient) -> None:
    booking = soon(world)
    place: Any = HOME
    booking_check_in(booking_id=booking.pk, actor=world.sitter, **place)
    booking_check_out(booking_id=booking.pk, actor=world.sitter, **place)

    response = parent_api.post(f"/api/v1/bookings/{booking.pk}/hours/confirm")
    again = parent_api.post(f"/api/v1/bookings/{booking.pk}/hours/confirm")

    assert response.json()["hours_status"] == "confirmed" and again.status_code == 200
    booking.refresh_from_db()
    assert booking.payment is not None
    assert (booking.payment.status, booking.payment.captured_amount) == (PaymentStatus.CAPTURED, booking.price_amount)


def test_hours_cannot_be_confirmed_before_check_out(world: World, parent_api: APIClient) -> None:
    booking = soon(world)

    assert_problem(parent_api.post(f"/api/v1/bookings/{booking.pk}/hours/confirm"), 409, "hours_not_pending")


def test_longer_work_is_paid_in_quarter_hours_rounded_up() -> None:
    start = timezone.now()
    booking = Booking(
        price_amount=5000,
        hourly_rate=2500,
        checked_in_at=start,
        checked_out_at=start + timedelta(hours=2, minutes=16),
        status=BookingStatus.COMPLETED,
        hours_status=HoursStatus.PENDING_CONFIRMATION,
    )

    assert worked_amount(booking) == 2500 * 10 // 4  # 2 h 16 min is paid as 2 h 30 min
