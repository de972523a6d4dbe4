"""POST bookings: every rule of a request, the server's price, Idempotency-Key, and nothing changed on refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import ChildFactory
from accounts.tests.problems import assert_problem
from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.tests.factories import World, berlin
from conftest import client_for
from guardiannest.audit.models import AuditEvent
from messaging.models import Notification
from sitters.models import VerificationStatus
from sitters.services.calendar import hold_place

pytestmark = pytest.mark.django_db


def body(world: World, start: Any = None, hours: float = 3, **extra: Any) -> dict[str, Any]:
    start = start or berlin(10)
    return {
        "sitter_id": str(world.sitter.pk),
        "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
        "child_ids": [str(world.child.pk)],
        **extra,
    }


def test_a_parent_requests_a_booking_priced_by_the_server(
    world: World, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = parent_api.post("/api/v1/bookings", body(world, notes="<b>Bedtime</b> at 8"), format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["status"] == "requested"
    assert answer["price"] == {"amount": 7500, "currency": "eur"}
    assert answer["payment_status"] is None
    assert answer["timezone"] == "Europe/Berlin"
    assert answer["notes"] == "Bedtime at 8"
    booking = Booking.objects.get(pk=answer["id"])
    assert list(booking.children.all()) == [world.child]
    assert BookingEvent.objects.filter(booking=booking, from_status="", to_status="requested").count() == 1
    assert AuditEvent.objects.filter(action="booking.requested", target_id=str(booking.pk)).count() == 1
    assert Notification.objects.filter(user=world.sitter, kind="booking.requested").count() == 1
    assert callbacks  # the broadcast (and the notification's delivery) left after commit


def test_the_same_idempotency_key_creates_one_booking(world: World, parent_api: APIClient) -> None:
    first = parent_api.post("/api/v1/bookings", body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = parent_api.post("/api/v1/bookings", body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = parent_api.post("/api/v1/bookings", body(world, hours=4), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert_problem(other, 422, "idempotency_key_reused")
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": -1}, "end"),
        ({"hours": 0.5}, "end"),
        ({"start": "past"}, "start"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(
    world: World, parent_api: APIClient, change: dict[str, Any], field: str
) -> None:
    start = berlin(10, days=-1) if change.get("start") == "past" else None
    response = parent_api.post(
        "/api/v1/bookings", body(world, start=start, hours=change.get("hours", 3)), format="json"
    )

    assert field in assert_problem(response, 400, "invalid")["errors"]
    assert not Booking.objects.exists()


def test_another_familys_child_is_refused(world: World, parent_api: APIClient, other_parent: User) -> None:
    stranger = ChildFactory(parent=other_parent)

    response = parent_api.post("/api/v1/bookings", body(world, child_ids=[str(stranger.pk)]), format="json")

    assert "child_ids" in assert_problem(response, 400, "invalid")["errors"]
    assert not Booking.objects.exists()


def test_an_unverified_sitter_cannot_be_booked(world: World, parent_api: APIClient) -> None:
    world.sitter.sitter_profile.verification_status = VerificationStatus.PENDING
    world.sitter.sitter_profile.save()

    assert_problem(parent_api.post("/api/v1/bookings", body(world), format="json"), 409, "sitter_not_verified")


def test_a_home_outside_the_service_area_is_refused(world: World, parent_api: APIClient) -> None:
    profile = world.parent.parent_profile
    profile.latitude, profile.longitude = 48.137154, 11.576124  # Munich
    profile.save()

    assert_problem(parent_api.post("/api/v1/bookings", body(world), format="json"), 409, "outside_service_area")


def test_a_time_outside_the_sitters_availability_is_refused(world: World, parent_api: APIClient) -> None:
    far = berlin(10, days=90)  # past the materialised availability

    assert_problem(
        parent_api.post("/api/v1/bookings", body(world, start=far), format="json"), 409, "sitter_unavailable"
    )


def test_a_request_for_a_held_time_is_a_booking_overlap(world: World, parent_api: APIClient) -> None:
    hold_place(sitter_id=world.sitter.pk, starts_at=berlin(11), ends_at=berlin(12), require_available=False)

    assert_problem(parent_api.post("/api/v1/bookings", body(world), format="json"), 409, "booking_overlap")
    assert not Booking.objects.exists()


def test_a_sitter_cannot_request_a_booking(world: World, sitter_api: APIClient) -> None:
    assert_problem(sitter_api.post("/api/v1/bookings", body(world), format="json"), 403, "not_a_parent")


def test_create_stays_within_its_query_budget(world: World, django_assert_max_num_queries: Any) -> None:
    from guardiannest import flags

    flags.instant_booking_for(world.sitter)  # the flag's answer is cached (3 queries once per cache lifetime)
    with django_assert_max_num_queries(20):
        booking = world.book()

    assert booking.status == BookingStatus.REQUESTED


def test_anonymous_cannot_book(world: World, api: APIClient) -> None:
    assert_problem(api.post("/api/v1/bookings", body(world), format="json"), 401)


def test_a_parent_only_needs_their_own_token(world: World, other_parent: User) -> None:
    """Another parent books the same sitter for the same time: requests do not hold the sitter."""
    from bookings.tests.factories import family

    child = family(other_parent)
    world.book()
    payload = body(world, child_ids=[str(child.pk)])

    assert client_for(other_parent).post("/api/v1/bookings", payload, format="json").status_code == 201
