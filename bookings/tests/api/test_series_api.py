"""POST bookings/series: the same local slot weekly, each occurrence under the rules, conflicts per occurrence."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tests.problems import assert_problem
from bookings.models import Booking
from bookings.tests.factories import BERLIN, World, berlin
from messaging.models import Notification
from sitters.services.calendar import hold_place, local_today

pytestmark = pytest.mark.django_db


def body(world: World, start: datetime, weeks: int, hours: int = 3, **extra: Any) -> dict[str, Any]:
    return {
        "sitter_id": str(world.sitter.pk),
        "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
        "child_ids": [str(world.child.pk)],
        "weeks": weeks,
        **extra,
    }


def next_offset_change(*, after: date, forward_only: bool = False) -> date:
    """The first day after ``after`` on which Berlin's UTC offset differs from the day before (a DST change)."""
    day = after
    while True:
        day += timedelta(days=1)
        before = datetime.combine(day - timedelta(days=1), time(12), tzinfo=BERLIN).utcoffset()
        now = datetime.combine(day, time(12), tzinfo=BERLIN).utcoffset()
        assert before is not None and now is not None
        if now != before and (now > before or not forward_only):
            return day


def test_a_weekly_series_is_made_with_one_booking_per_week(world: World, parent_api: APIClient) -> None:
    response = parent_api.post("/api/v1/bookings/series", body(world, berlin(18, days=2), weeks=4), format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["conflicts"] == []
    starts = [datetime.fromisoformat(b["start"]) for b in answer["bookings"]]
    assert [s - starts[0] for s in starts] == [timedelta(weeks=w) for w in range(4)]
    assert {b["series_id"] for b in answer["bookings"]} == {answer["id"]}
    assert {b["status"] for b in answer["bookings"]} == {"requested"}
    assert Booking.objects.filter(series_id=answer["id"]).count() == 4
    # the sitter is told of the series once, not once a week
    assert Notification.objects.filter(user=world.sitter, kind="booking.requested").count() == 1


@pytest.fixture
def a_year_ahead(settings: Any) -> None:
    """The sitter's availability is laid out a year ahead (the next DST change may be months away)."""
    settings.SITTER_AVAILABILITY_HORIZON_DAYS = 400


def test_across_a_dst_change_each_week_keeps_the_sitters_wall_clock_time(
    a_year_ahead: None, world: World, parent_api: APIClient
) -> None:
    # given: three Wednesdays-or-so at 18:00 Berlin, the last after the clocks change
    change = next_offset_change(after=local_today(BERLIN) + timedelta(days=12))
    first = datetime.combine(change - timedelta(days=10), time(18), tzinfo=BERLIN)

    # when
    response = parent_api.post("/api/v1/bookings/series", body(world, first, weeks=3), format="json")

    # then
    assert response.status_code == 201, response.content
    made = response.json()["bookings"]
    starts = [datetime.fromisoformat(b["start"]) for b in made]
    assert [s.astimezone(BERLIN).time() for s in starts] == [time(18)] * 3
    assert starts[0].utcoffset() == starts[1].utcoffset() != starts[2].utcoffset()
    # a real week between each, plus or minus the hour the clocks moved
    assert abs((starts[2] - starts[1]) - timedelta(weeks=1)) == timedelta(hours=1)
    assert {b["price"]["amount"] for b in made} == {3 * 2500}  # three real hours each


def test_a_week_whose_local_time_does_not_exist_is_reported(
    a_year_ahead: None, world: World, parent_api: APIClient
) -> None:
    # given: Sundays at 02:30, and the clocks jump from 02:00 to 03:00 on the second Sunday
    change = next_offset_change(after=local_today(BERLIN) + timedelta(days=8), forward_only=True)
    first = datetime.combine(change - timedelta(weeks=1), time(2, 30), tzinfo=BERLIN)

    response = parent_api.post("/api/v1/bookings/series", body(world, first, weeks=2, hours=2), format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert len(answer["bookings"]) == 1
    assert [c["code"] for c in answer["conflicts"]] == ["local_time_missing"]
    assert answer["conflicts"][0]["start"].startswith(f"{change.isoformat()}T02:30")


def test_weeks_the_sitter_is_held_are_reported_and_the_others_made(world: World, parent_api: APIClient) -> None:
    start = berlin(18, days=2)
    for week in (1, 3):
        held = start + timedelta(weeks=week, hours=1)
        hold_place(
            sitter_id=world.sitter.pk, starts_at=held, ends_at=held + timedelta(hours=1), require_available=False
        )

    response = parent_api.post("/api/v1/bookings/series", body(world, start, weeks=4), format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert len(answer["bookings"]) == 2
    assert [c["code"] for c in answer["conflicts"]] == ["booking_overlap", "booking_overlap"]
    refused = [datetime.fromisoformat(c["start"]) for c in answer["conflicts"]]
    assert refused == [start + timedelta(weeks=1), start + timedelta(weeks=3)]


def test_one_idempotency_key_answers_for_the_whole_series(world: World, parent_api: APIClient) -> None:
    request = body(world, berlin(18, days=2), weeks=3)

    first = parent_api.post("/api/v1/bookings/series", request, format="json", HTTP_IDEMPOTENCY_KEY="s-1")
    again = parent_api.post("/api/v1/bookings/series", request, format="json", HTTP_IDEMPOTENCY_KEY="s-1")
    other = parent_api.post(
        "/api/v1/bookings/series", {**request, "weeks": 4}, format="json", HTTP_IDEMPOTENCY_KEY="s-1"
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert_problem(other, 422)
    assert Booking.objects.count() == 3


def test_a_series_no_week_of_which_can_be_made_is_refused(world: World, parent_api: APIClient) -> None:
    start = berlin(18, days=2)
    for week in range(2):
        held = start + timedelta(weeks=week)
        hold_place(
            sitter_id=world.sitter.pk, starts_at=held, ends_at=held + timedelta(hours=3), require_available=False
        )

    assert_problem(
        parent_api.post("/api/v1/bookings/series", body(world, start, weeks=2), format="json"), 409, "booking_overlap"
    )
    assert not Booking.objects.exists()


@pytest.mark.parametrize("weeks", [1, 13, "many"])
def test_weeks_out_of_range_are_refused(world: World, parent_api: APIClient, weeks: Any) -> None:
    response = parent_api.post("/api/v1/bookings/series", body(world, berlin(18), weeks=weeks), format="json")

    assert "weeks" in assert_problem(response, 400)["errors"]
    assert not Booking.objects.exists()


def test_a_stranger_child_refuses_the_whole_series(world: World, parent_api: APIClient, other_parent: Any) -> None:
    from bookings.tests.factories import family

    stranger = family(other_parent)
    request = {**body(world, berlin(18), weeks=3), "child_ids": [str(stranger.pk)]}

    assert (
        "child_ids" in assert_problem(parent_api.post("/api/v1/bookings/series", request, format="json"), 400)["errors"]
    )
    assert not Booking.objects.exists()


def test_a_sitter_cannot_book_a_series(world: World, sitter_api: APIClient) -> None:
    response = sitter_api.post("/api/v1/bookings/series", body(world, berlin(18), weeks=2), format="json")

    assert_problem(response, 403, "not_a_parent")
