"""The parent disputes the hours instead of confirming them (API.md, Bookings): ``disputed``, for staff to resolve."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from bookings.models import Booking, BookingStatus
from bookings.tests.factories import World, completed, confirmed_soon
from conftest import client_for
from payments.models import PaymentStatus

pytestmark = pytest.mark.django_db


def dispute(api: APIClient, booking: Booking, reason: object = "She left an hour early") -> Any:
    return api.post(f"/api/v1/bookings/{booking.pk}/dispute", {"reason": reason}, format="json")


def test_the_parent_disputes_pending_hours_and_nothing_is_captured(world: World, parent_api: APIClient) -> None:
    booking = completed(world)

    response = dispute(parent_api, booking)
    again = dispute(parent_api, booking)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "disputed"
    assert again.status_code == 200
    booking.refresh_from_db()
    assert booking.payment is not None and booking.payment.status == PaymentStatus.AUTHORISED
    assert booking.events.filter(to_status="disputed").count() == 1
    assert_problem(parent_api.post(f"/api/v1/bookings/{booking.pk}/hours/confirm"), 409, "hours_not_pending")


def test_confirmed_hours_cannot_be_disputed(world: World, parent_api: APIClient) -> None:
    booking = completed(world)
    parent_api.post(f"/api/v1/bookings/{booking.pk}/hours/confirm")

    assert_problem(dispute(parent_api, booking), 409, "hours_not_pending")


def test_the_dispute_window_closes_48_hours_after_check_out(world: World, parent_api: APIClient) -> None:
    booking = completed(world)
    assert booking.checked_out_at is not None
    Booking.objects.filter(pk=booking.pk).update(checked_out_at=booking.checked_out_at - timedelta(hours=48, seconds=5))

    assert_problem(dispute(parent_api, booking), 409, "dispute_window_closed")
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.COMPLETED


def test_a_dispute_needs_a_reason_and_a_completed_booking(world: World, parent_api: APIClient) -> None:
    done, upcoming = completed(world), confirmed_soon(world, minutes=3 * 24 * 60)

    assert_problem(dispute(parent_api, done, ""), 400)
    assert_problem(dispute(parent_api, upcoming), 409, "transition_not_allowed")


def test_the_sitter_and_strangers_cannot_dispute(world: World, sitter_api: APIClient, other_parent: User) -> None:
    booking = completed(world)

    assert_problem(dispute(sitter_api, booking), 409, "transition_not_allowed")
    assert_problem(dispute(client_for(other_parent), booking), 404, "not_found")
