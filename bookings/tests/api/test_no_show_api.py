"""No-shows and sitter cancellations: free for the family, counted in the sitter's reliability (GET sitters/{id})."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.problems import assert_problem
from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.tests.factories import HOME, World, completed, confirmed_soon, moved
from bookings.transitions import NAMED, NO_SHOW, TRANSITIONS
from guardiannest.audit.models import AuditEvent
from payments.models import PaymentStatus
from sitters.cache import sitter_changed
from sitters.models import Hold, ReliabilityEvent

pytestmark = pytest.mark.django_db


def started(world: World, minutes_ago: int) -> Booking:
    """A confirmed booking that started ``minutes_ago`` (moved there: the clock is not controlled)."""
    return moved(confirmed_soon(world, minutes=24 * 60), starts_at=timezone.now() - timedelta(minutes=minutes_ago))


def reliability(api: APIClient, world: World) -> dict[str, Any]:
    return api.get(f"/api/v1/sitters/{world.sitter.pk}").json()["reliability"]


def test_no_show_is_a_named_move_of_the_table() -> None:
    for pair, parties in NAMED[NO_SHOW].items():
        assert parties <= TRANSITIONS[pair]  # a named move narrows a move the table has


def test_the_parent_reports_a_no_show_after_the_grace(world: World, parent_api: APIClient) -> None:
    booking = started(world, minutes_ago=31)

    response = parent_api.post(f"/api/v1/bookings/{booking.pk}/no-show")
    again = parent_api.post(f"/api/v1/bookings/{booking.pk}/no-show")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["cancel_reason"], body["cancellation_fee"]["amount"]) == ("cancelled", "no_show", 0)
    assert again.status_code == 200
    assert not Hold.objects.filter(reference=booking.pk).exists()
    booking.refresh_from_db()
    assert booking.payment is not None and booking.payment.status == PaymentStatus.RELEASED
    assert BookingEvent.objects.filter(booking=booking, reason="no_show").count() == 1
    assert AuditEvent.objects.filter(action="booking.cancelled", target_id=str(booking.pk)).count() == 1
    assert ReliabilityEvent.objects.filter(booking_id=booking.pk, kind="no_show").count() == 1
    assert reliability(parent_api, world) == {
        "score": 0,
        "cancellations_90d": 0,
        "no_shows_90d": 1,
        "completed_90d": 0,
        "completed": 0,
    }


def test_a_no_show_inside_the_grace_is_too_early(world: World, parent_api: APIClient) -> None:
    booking = started(world, minutes_ago=29)

    assert_problem(parent_api.post(f"/api/v1/bookings/{booking.pk}/no-show"), 409, "no_show_too_early")
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_the_sitter_cannot_report_their_own_no_show(world: World, sitter_api: APIClient) -> None:
    booking = started(world, minutes_ago=60)

    assert_problem(sitter_api.post(f"/api/v1/bookings/{booking.pk}/no-show"), 409, "transition_not_allowed")
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_a_checked_in_sitter_is_no_no_show(world: World, parent_api: APIClient, sitter_api: APIClient) -> None:
    booking = confirmed_soon(world)
    sitter_api.post(f"/api/v1/bookings/{booking.pk}/check-in", HOME, format="json")
    moved(booking, starts_at=timezone.now() - timedelta(hours=1))

    assert_problem(parent_api.post(f"/api/v1/bookings/{booking.pk}/no-show"), 409, "transition_not_allowed")


def test_staff_may_report_a_no_show(world: World, staff_api: APIClient) -> None:
    booking = started(world, minutes_ago=45)

    response = staff_api.post(f"/api/v1/bookings/{booking.pk}/no-show")

    assert response.status_code == 200 and response.json()["cancel_reason"] == "no_show"


def test_sitter_cancellations_are_free_and_counted_parents_are_not(
    world: World, parent_api: APIClient, sitter_api: APIClient
) -> None:
    by_sitter = confirmed_soon(world, minutes=3 * 24 * 60)
    by_parent = confirmed_soon(world, minutes=5 * 24 * 60)
    done = completed(world)

    cancelled = sitter_api.post(f"/api/v1/bookings/{by_sitter.pk}/cancel", {"reason": "Ill"}, format="json")
    parent_api.post(f"/api/v1/bookings/{by_parent.pk}/cancel", {"reason": "Plans changed"}, format="json")

    assert cancelled.json()["cancellation_fee"]["amount"] == 0
    assert reliability(parent_api, world) == {
        "score": 50,  # 1 completed of 1 completed + 1 cancellation
        "cancellations_90d": 1,
        "no_shows_90d": 0,
        "completed_90d": 1,
        "completed": 1,
    }
    assert ReliabilityEvent.objects.filter(booking_id=done.pk, kind="completed").exists()


def test_old_outcomes_leave_the_90_days_but_completions_stay_counted(world: World, parent_api: APIClient) -> None:
    booking = started(world, minutes_ago=60)
    parent_api.post(f"/api/v1/bookings/{booking.pk}/no-show")
    completed(world)
    ReliabilityEvent.objects.update(occurred_at=timezone.now() - timedelta(days=91))
    sitter_changed(world.sitter.pk)

    assert reliability(parent_api, world) == {
        "score": None,
        "cancellations_90d": 0,
        "no_shows_90d": 0,
        "completed_90d": 0,
        "completed": 1,
    }


def test_the_booking_shows_the_fee_a_cancellation_would_cost_now(world: World, parent_api: APIClient) -> None:
    far = confirmed_soon(world, minutes=3 * 24 * 60)
    late = confirmed_soon(world, minutes=60)

    assert parent_api.get(f"/api/v1/bookings/{far.pk}").json()["cancellation_fee_now"]["amount"] == 0
    assert parent_api.get(f"/api/v1/bookings/{late.pk}").json()["cancellation_fee_now"]["amount"] == late.price_amount
    cancelled = parent_api.post(f"/api/v1/bookings/{late.pk}/cancel", {"reason": "x"}, format="json").json()
    assert cancelled["cancellation_fee"]["amount"] == late.price_amount
    assert cancelled["cancellation_fee_now"] is None
