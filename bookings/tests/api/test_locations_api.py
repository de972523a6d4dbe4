"""POST/GET bookings/{id}/locations: the sitter's fixes while in progress, the parent's audited trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from bookings.models import BookingLocation
from bookings.tests.factories import World
from bookings.tests.tracking_helpers import confirmed_soon, dropped, fix, under_way
from guardiannest.audit.models import AuditEvent
from guardiannest.realtime.groups import user_group
from guardiannest.realtime.testing import GroupListener

pytestmark = pytest.mark.django_db


def url(booking: Any) -> str:
    return f"/api/v1/bookings/{booking.pk}/locations"


def test_a_batch_is_stored_and_the_newest_goes_to_the_parent_after_commit(
    world: World, sitter_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    booking = under_way(world)
    now = timezone.now()
    batch = [fix(latitude=52.5 + i / 1000, recorded_at=(now - timedelta(seconds=30 - i)).isoformat()) for i in range(3)]
    listener = GroupListener([user_group(world.parent.pk)])
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = sitter_api.post(url(booking), batch, format="json")
        assert response.status_code == 202, response.content
        assert response.json() == {"accepted": 3}
        assert len(callbacks) == 1
        envelope = listener.next_envelope()
    finally:
        listener.close()
    assert envelope["type"] == "location.updated"
    assert envelope["data"]["latitude"] == 52.502 and envelope["data"]["booking_id"] == str(booking.pk)
    stored = BookingLocation.objects.filter(booking=booking).order_by("recorded_at")
    assert [str(row.latitude) for row in stored] == ["52.500000", "52.501000", "52.502000"]
    assert stored[0].accuracy_m == 7.5


def test_the_same_batch_again_stores_nothing_more(world: World, sitter_api: APIClient) -> None:
    booking = under_way(world)
    batch = [fix()]
    assert sitter_api.post(url(booking), batch, format="json").json() == {"accepted": 1}
    assert sitter_api.post(url(booking), batch, format="json").json() == {"accepted": 0}
    assert BookingLocation.objects.filter(booking=booking).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (fix(latitude=91), "latitude"),
        (fix(longitude=-180.5), "longitude"),
        (fix(latitude="north"), "latitude"),
        (fix(accuracy_m=-1), "accuracy_m"),
        (fix(recorded_at="yesterday"), "recorded_at"),
        (fix(recorded_at="2026-01-01T10:00:00"), "recorded_at"),  # no offset
        ({"latitude": 52.5, "longitude": 13.4}, "recorded_at"),
        ([fix(), fix(longitude=200)], "1.longitude"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(
    world: World, sitter_api: APIClient, body: Any, field: str
) -> None:
    booking = under_way(world)
    problem = assert_problem(sitter_api.post(url(booking), body, format="json"), 400, "invalid")
    assert list(problem["errors"]) == [field]
    assert not BookingLocation.objects.exists()


def test_a_time_in_the_future_is_refused_a_little_skew_is_not(world: World, sitter_api: APIClient) -> None:
    booking = under_way(world)
    ahead = (timezone.now() + timedelta(minutes=5)).isoformat()
    problem = assert_problem(sitter_api.post(url(booking), fix(recorded_at=ahead), format="json"), 400, "invalid")
    assert problem["errors"] == {"recorded_at": ["recorded_at is in the future."]}
    slightly = (timezone.now() + timedelta(seconds=5)).isoformat()
    assert sitter_api.post(url(booking), fix(recorded_at=slightly), format="json").status_code == 202


def test_an_absurdly_old_time_is_refused(world: World, sitter_api: APIClient) -> None:
    booking = under_way(world)
    old = (timezone.now() - timedelta(days=3)).isoformat()
    assert_problem(sitter_api.post(url(booking), fix(recorded_at=old), format="json"), 400, "invalid")


def test_too_big_a_batch_is_refused(world: World, sitter_api: APIClient, settings: Any) -> None:
    settings.LOCATION_BATCH_MAX = 3
    booking = under_way(world)
    assert_problem(sitter_api.post(url(booking), [fix()] * 4, format="json"), 400, "invalid")


def test_over_the_rate_the_batch_is_dropped_counted_and_answered_429(
    world: World, sitter_api: APIClient, settings: Any
) -> None:
    settings.LOCATION_RATE_LIMIT = 5
    settings.LOCATION_RATE_WINDOW = 60
    booking = under_way(world)
    now = timezone.now()
    first = [fix(recorded_at=(now - timedelta(seconds=i)).isoformat()) for i in range(4)]
    assert sitter_api.post(url(booking), first, format="json").json() == {"accepted": 4}
    before = dropped("rate_limited")
    second = [fix(recorded_at=(now - timedelta(seconds=10 + i)).isoformat()) for i in range(3)]
    response = sitter_api.post(url(booking), second, format="json")
    assert_problem(response, 429, "too_many_locations")
    assert int(response["Retry-After"]) >= 1
    assert dropped("rate_limited") - before == 3
    assert BookingLocation.objects.filter(booking=booking).count() == 4
    # the refused batch took no places: one more still fits
    assert sitter_api.post(url(booking), second[:1], format="json").json() == {"accepted": 1}


def test_not_in_progress_is_409_and_stores_nothing(world: World, sitter_api: APIClient) -> None:
    booking = confirmed_soon(world)
    before = dropped("not_in_progress")
    assert_problem(sitter_api.post(url(booking), fix(), format="json"), 409, "booking_not_in_progress")
    assert dropped("not_in_progress") - before == 1
    assert not BookingLocation.objects.exists()


def test_a_stranger_gets_404_and_the_parent_403(
    world: World, other_sitter: User, parent_api: APIClient, other_parent: User
) -> None:
    from conftest import client_for

    booking = under_way(world)
    assert_problem(client_for(other_sitter).post(url(booking), fix(), format="json"), 404, "not_found")
    assert_problem(client_for(other_parent).get(url(booking)), 404, "not_found")
    assert_problem(parent_api.post(url(booking), fix(), format="json"), 403, "not_the_sitter")
    assert not BookingLocation.objects.exists()


def test_the_parent_reads_the_trail_newest_first_paginated_and_each_view_is_audited(
    world: World, sitter_api: APIClient, parent_api: APIClient
) -> None:
    booking = under_way(world)
    now = timezone.now()
    sitter_api.post(
        url(booking),
        [fix(latitude=50 + i, recorded_at=(now - timedelta(minutes=10 - i)).isoformat()) for i in range(5)],
        format="json",
    )
    audited = AuditEvent.objects.filter(action="booking.locations_read")
    assert not audited.exists()

    first = parent_api.get(url(booking), {"page_size": 3})
    assert first.status_code == 200, first.content
    page = first.json()
    assert [row["latitude"] for row in page["results"]] == [54.0, 53.0, 52.0]
    assert set(page["results"][0]) == {"latitude", "longitude", "accuracy_m", "recorded_at"}
    second = parent_api.get(page["next"]).json()
    assert [row["latitude"] for row in second["results"]] == [51.0, 50.0]

    events = list(audited.order_by("id"))
    assert len(events) == 2
    assert {(e.actor_id, e.target_id, e.data["booking_id"]) for e in events} == {
        (world.parent.pk, str(world.parent.pk), str(booking.pk))
    }
    # it shows on the family's own security trail
    trail = parent_api.get("/api/v1/security/events").json()["results"]
    assert any(item.get("action") == "booking.locations_read" for item in trail)


def test_staff_read_the_trail_audited_and_the_sitter_does_not(
    world: World, staff_api: APIClient, staff: User, sitter_api: APIClient
) -> None:
    booking = under_way(world)
    assert staff_api.get(url(booking)).status_code == 200
    event = AuditEvent.objects.get(action="booking.locations_read")
    assert event.actor_id == staff.pk and event.target_id == str(world.parent.pk)
    assert_problem(sitter_api.get(url(booking)), 403, "not_a_parent")
