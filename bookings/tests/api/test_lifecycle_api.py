"""Accept, decline, cancel, expire: one move each, the hold and the payment with them, repeats change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.services import booking_accept, booking_cancel, booking_expire_due
from bookings.tasks import booking_expire_unanswered
from bookings.tests.factories import World, berlin, declining_card
from conftest import client_for
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError
from messaging.models import Notification
from payments.models import PaymentStatus
from payments.services import customer_for, payment_methods_sync
from sitters.models import Hold

pytestmark = pytest.mark.django_db


def test_accepting_holds_the_sitter_and_confirms_with_the_authorised_payment(
    world: World, sitter_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    booking = world.book()

    with django_capture_on_commit_callbacks() as callbacks:
        response = sitter_api.post(f"/api/v1/bookings/{booking.pk}/accept")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert response.json()["payment_status"] == "authorised"
    hold = Hold.objects.get(reference=booking.pk)
    assert (hold.starts_at, hold.ends_at) == (booking.starts_at, booking.ends_at)
    moves = list(BookingEvent.objects.filter(booking=booking).values_list("from_status", "to_status"))
    assert moves == [("", "requested"), ("requested", "accepted"), ("accepted", "confirmed")]
    assert AuditEvent.objects.filter(action="booking.accepted", target_id=str(booking.pk)).count() == 1
    assert Notification.objects.filter(user=world.parent, kind="booking.accepted").count() == 1
    assert len(callbacks) >= 2  # broadcasts wait for the commit


def test_accepting_twice_changes_nothing(world: World, sitter_api: APIClient) -> None:
    booking = world.book()
    sitter_api.post(f"/api/v1/bookings/{booking.pk}/accept")
    events = BookingEvent.objects.count()

    response = sitter_api.post(f"/api/v1/bookings/{booking.pk}/accept")

    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    assert BookingEvent.objects.count() == events
    assert Hold.objects.filter(reference=booking.pk).count() == 1


def test_a_declined_card_leaves_the_booking_accepted_needing_a_card(world: World, sitter_api: APIClient) -> None:
    declining_card(world.parent)
    booking = world.book()

    response = sitter_api.post(f"/api/v1/bookings/{booking.pk}/accept")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["payment_status"]) == ("accepted", "requires_payment_method")
    assert Hold.objects.filter(reference=booking.pk).exists()


def test_the_parent_cannot_accept(world: World, parent_api: APIClient) -> None:
    booking = world.book()

    assert_problem(parent_api.post(f"/api/v1/bookings/{booking.pk}/accept"), 409, "transition_not_allowed")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED


def test_another_sitter_gets_not_found(world: World, other_sitter: User) -> None:
    booking = world.book()

    assert_problem(client_for(other_sitter).post(f"/api/v1/bookings/{booking.pk}/accept"), 404, "not_found")


def test_accepting_over_a_held_time_is_a_booking_overlap(world: World, sitter_api: APIClient) -> None:
    first, second = world.book(), world.book(start=berlin(11))
    sitter_api.post(f"/api/v1/bookings/{first.pk}/accept")

    assert_problem(sitter_api.post(f"/api/v1/bookings/{second.pk}/accept"), 409, "booking_overlap")
    second.refresh_from_db()
    assert second.status == BookingStatus.REQUESTED
    assert not Hold.objects.filter(reference=second.pk).exists()


def test_a_decline_tells_the_parent_and_cannot_be_accepted_after(world: World, sitter_api: APIClient) -> None:
    booking = world.book()

    response = sitter_api.post(f"/api/v1/bookings/{booking.pk}/decline", {"reason": "Away"}, format="json")

    assert response.json()["status"] == "declined"
    assert Notification.objects.filter(user=world.parent, kind="booking.declined").count() == 1
    assert_problem(sitter_api.post(f"/api/v1/bookings/{booking.pk}/accept"), 409, "transition_not_allowed")
    assert_problem(
        sitter_api.post(
            f"/api/v1/bookings/{booking.pk}/check-in", {"latitude": 52.5, "longitude": 13.4}, format="json"
        ),
        409,
        "transition_not_allowed",
    )


def test_a_parent_cancelling_early_pays_nothing_and_the_authorisation_is_released(
    world: World, parent_api: APIClient
) -> None:
    booking = world.book(start=berlin(10, days=5))
    booking = booking_accept(booking_id=booking.pk, actor=world.sitter)

    response = parent_api.post(f"/api/v1/bookings/{booking.pk}/cancel", {"reason": "Plans changed"}, format="json")

    assert response.json()["status"] == "cancelled"
    assert response.json()["cancellation_fee"] == {"amount": 0, "currency": "eur"}
    assert response.json()["payment_status"] == PaymentStatus.RELEASED
    assert not Hold.objects.filter(reference=booking.pk).exists()
    assert Notification.objects.filter(user=world.sitter, kind="booking.cancelled").count() == 1


def test_a_late_cancellation_by_the_parent_captures_the_policy_fee(world: World, parent_api: APIClient) -> None:
    start = timezone.now() + timedelta(hours=5)
    booking = booking_accept(booking_id=world.book(start=start).pk, actor=world.sitter)

    response = parent_api.post(f"/api/v1/bookings/{booking.pk}/cancel", {}, format="json")

    assert response.json()["cancellation_fee"]["amount"] == booking.price_amount // 2
    booking.refresh_from_db()
    assert booking.payment is not None
    assert (booking.payment.status, booking.payment.captured_amount) == (
        PaymentStatus.CAPTURED,
        booking.price_amount // 2,
    )


def test_a_sitters_cancellation_is_free_even_late(world: World, sitter_api: APIClient) -> None:
    start = timezone.now() + timedelta(hours=3)
    booking = booking_accept(booking_id=world.book(start=start).pk, actor=world.sitter)

    response = sitter_api.post(f"/api/v1/bookings/{booking.pk}/cancel", {"reason": "Ill"}, format="json")

    assert response.json()["cancellation_fee"]["amount"] == 0
    assert Notification.objects.filter(user=world.parent, kind="booking.cancelled").count() == 1


def test_cancelling_twice_changes_nothing(world: World, parent_api: APIClient) -> None:
    booking = world.book()
    parent_api.post(f"/api/v1/bookings/{booking.pk}/cancel", {}, format="json")
    events = BookingEvent.objects.count()

    again = parent_api.post(f"/api/v1/bookings/{booking.pk}/cancel", {}, format="json")

    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert BookingEvent.objects.count() == events


def test_staff_may_cancel_waiving_the_fee(world: World, staff: User) -> None:
    start = timezone.now() + timedelta(hours=1)
    booking = booking_accept(booking_id=world.book(start=start).pk, actor=world.sitter)

    booking = booking_cancel(booking_id=booking.pk, actor=staff, reason="Support", waive_fee=True)

    assert (booking.status, booking.cancellation_fee_amount) == (BookingStatus.CANCELLED, 0)


def test_unanswered_requests_expire_once_even_when_two_jobs_run(world: World) -> None:
    due, later = world.book(), world.book(start=berlin(10, days=6))
    Booking.objects.filter(pk=due.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert booking_expire_unanswered() == 1
    assert booking_expire_due() == 0

    due.refresh_from_db(), later.refresh_from_db()
    assert (due.status, later.status) == (BookingStatus.EXPIRED, BookingStatus.REQUESTED)
    assert BookingEvent.objects.filter(booking=due, to_status="expired").count() == 1
    assert Notification.objects.filter(user=world.parent, kind="booking.cancelled").count() == 1


def test_an_expired_request_cannot_be_accepted(world: World) -> None:
    booking = world.book()
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now())
    booking_expire_due()

    with pytest.raises(ApplicationError) as refused:
        booking_accept(booking_id=booking.pk, actor=world.sitter)

    assert refused.value.code == "transition_not_allowed"


def test_accept_stays_within_its_query_budget(world: World, django_assert_max_num_queries: Any) -> None:
    """The booking's own move (about 28 queries, its request group checked) plus payments' authorisation (about 30)."""
    booking = world.book()
    payment_methods_sync(customer=customer_for(parent=world.parent))

    with django_assert_max_num_queries(62):
        accepted = booking_accept(booking_id=booking.pk, actor=world.sitter)

    assert accepted.status == BookingStatus.CONFIRMED
