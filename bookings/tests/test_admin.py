"""The bookings back office: read-only pages with the event history; staff cancel through the service."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.services import booking_accept
from bookings.tests.factories import World

pytestmark = pytest.mark.django_db


def test_a_booking_page_shows_its_history_and_cannot_be_edited(staff_client: Client, world: World) -> None:
    booking = booking_accept(booking_id=world.book().pk, actor=world.sitter)

    assert staff_client.get(reverse("admin:bookings_booking_changelist") + "?status=confirmed").status_code == 200
    page = staff_client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))

    assert page.status_code == 200
    assert b"requested" in page.content and b"confirmed" in page.content
    staff_client.post(reverse("admin:bookings_booking_change", args=[booking.pk]), {"status": "cancelled"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_staff_cancel_without_a_fee_through_the_service(staff_client: Client, world: World) -> None:
    booking = booking_accept(booking_id=world.book().pk, actor=world.sitter)
    data = {"action": "cancel_waiving_fee", "_selected_action": [str(booking.pk)], "index": "0", "select_across": "0"}

    staff_client.post(reverse("admin:bookings_booking_changelist"), data)

    booking = Booking.objects.get(pk=booking.pk)
    assert (booking.status, booking.cancellation_fee_amount) == (BookingStatus.CANCELLED, 0)
    assert BookingEvent.objects.get(booking=booking, to_status="cancelled").actor.email == "staff@guardiannest.demo"  # type: ignore[union-attr]
