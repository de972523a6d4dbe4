"""One request to several sitters: each sees their own, the first to accept wins, the others are withdrawn and told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import SitterFactory
from accounts.tests.problems import assert_problem
from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.services import booking_request_group_create
from bookings.tests.factories import World, berlin, bookable_sitter, family
from conftest import client_for, race
from messaging.models import Notification
from sitters.models import Hold, VerificationStatus

pytestmark = pytest.mark.django_db


def sitters(count: int) -> list[User]:
    made = [SitterFactory() for _ in range(count)]
    for sitter in made:
        bookable_sitter(sitter)
    return made


def body(world: World, sitter_ids: list[Any], hours: int = 3) -> dict[str, Any]:
    start = berlin(10)
    return {
        "sitter_ids": [str(pk) for pk in sitter_ids],
        "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
        "child_ids": [str(world.child.pk)],
    }


def test_one_request_to_three_sitters_gives_each_their_own_requested_booking(
    world: World, parent_api: APIClient
) -> None:
    asked = [world.sitter, *sitters(2)]

    response = parent_api.post(
        "/api/v1/bookings", body(world, [s.pk for s in asked]), format="json", HTTP_IDEMPOTENCY_KEY="g-1"
    )
    again = parent_api.post(
        "/api/v1/bookings", body(world, [s.pk for s in asked]), format="json", HTTP_IDEMPOTENCY_KEY="g-1"
    )

    assert response.status_code == 201, response.content
    answer = response.json()
    assert [b["sitter_id"] for b in answer["bookings"]] == [str(s.pk) for s in asked]
    assert {b["status"] for b in answer["bookings"]} == {"requested"}
    assert {b["request_group"] for b in answer["bookings"]} == {answer["request_group"]}
    assert again.json() == answer and Booking.objects.count() == 3  # one Idempotency-Key, one group
    for sitter in asked:  # each sitter sees their own booking, and only it
        listed = client_for(sitter).get("/api/v1/bookings").json()["results"]
        assert [b["sitter_id"] for b in listed] == [str(sitter.pk)]
        assert Notification.objects.filter(user=sitter, kind="booking.requested").count() == 1


def test_the_first_to_accept_wins_and_the_others_are_withdrawn_and_told(world: World) -> None:
    others = sitters(2)
    _, made = booking_request_group_create(
        parent=world.parent,
        sitter_ids=[world.sitter.pk, *[s.pk for s in others]],
        starts_at=berlin(10),
        ends_at=berlin(13),
        child_ids=[world.child.pk],
    )

    won = client_for(world.sitter).post(f"/api/v1/bookings/{made[0].pk}/accept")
    late = client_for(others[0]).post(f"/api/v1/bookings/{made[1].pk}/accept")

    assert won.status_code == 200 and won.json()["status"] == "confirmed"
    assert_problem(late, 409, "request_taken")
    for booking, sitter in zip(made[1:], others, strict=True):
        booking.refresh_from_db()
        assert (booking.status, booking.cancel_reason) == (BookingStatus.CANCELLED, "taken")
        assert not Hold.objects.filter(reference=booking.pk).exists()
        assert Notification.objects.filter(user=sitter, kind="booking.withdrawn").count() == 1
        assert BookingEvent.objects.filter(booking=booking, to_status="cancelled", reason="taken").count() == 1
    # the parent hears of the acceptance, not of each withdrawal
    assert Notification.objects.filter(user=world.parent, kind="booking.accepted").count() == 1
    assert not Notification.objects.filter(user=world.parent, kind="booking.cancelled").exists()
    seen = client_for(others[0]).get(f"/api/v1/bookings/{made[1].pk}").json()
    assert (seen["status"], seen["cancel_reason"]) == ("cancelled", "taken")


def test_a_sitter_declining_leaves_the_others_free_to_accept(world: World) -> None:
    other = sitters(1)[0]
    _, made = booking_request_group_create(
        parent=world.parent,
        sitter_ids=[world.sitter.pk, other.pk],
        starts_at=berlin(10),
        ends_at=berlin(13),
        child_ids=[world.child.pk],
    )

    assert client_for(world.sitter).post(f"/api/v1/bookings/{made[0].pk}/decline").status_code == 200
    response = client_for(other).post(f"/api/v1/bookings/{made[1].pk}/accept")

    assert response.status_code == 200 and response.json()["status"] == "confirmed"


@pytest.mark.parametrize(
    ("sitter_ids", "field"),
    [
        (["one"], "sitter_ids.0"),  # not a uuid
        ([], "sitter_ids"),
    ],
)
def test_bad_sitter_lists_are_refused(world: World, parent_api: APIClient, sitter_ids: Any, field: str) -> None:
    answer = assert_problem(parent_api.post("/api/v1/bookings", body(world, sitter_ids), format="json"), 400)

    assert field in answer["errors"]
    assert not Booking.objects.exists()


def test_too_many_or_repeated_sitters_are_refused_and_nothing_is_made(world: World, parent_api: APIClient) -> None:
    six = [world.sitter, *sitters(5)]

    too_many = parent_api.post("/api/v1/bookings", body(world, [s.pk for s in six]), format="json")
    repeated = parent_api.post("/api/v1/bookings", body(world, [world.sitter.pk] * 2), format="json")
    both = {**body(world, [s.pk for s in six[:2]]), "sitter_id": str(world.sitter.pk)}

    assert "sitter_ids" in assert_problem(too_many, 400)["errors"]
    assert "sitter_ids" in assert_problem(repeated, 400)["errors"]
    assert_problem(parent_api.post("/api/v1/bookings", both, format="json"), 400)
    assert not Booking.objects.exists()


def test_one_unverified_sitter_refuses_the_whole_request(world: World, parent_api: APIClient) -> None:
    unverified = sitters(1)[0]
    unverified.sitter_profile.verification_status = VerificationStatus.UNVERIFIED
    unverified.sitter_profile.save()

    response = parent_api.post("/api/v1/bookings", body(world, [world.sitter.pk, unverified.pk]), format="json")

    assert str(unverified.pk) in assert_problem(response, 409, "sitter_not_verified")["detail"]
    assert not Booking.objects.exists()


RACERS = 10


@pytest.mark.django_db(transaction=True)
def test_ten_sitters_racing_to_accept_one_request_one_wins(parent: User, settings: Any) -> None:
    # given: one request to ten sitters (the platform allows five; the ceiling is a setting)
    settings.BOOKING_REQUEST_MAX_SITTERS = RACERS
    asked = sitters(RACERS)
    child = family(parent)
    _, made = booking_request_group_create(
        parent=parent,
        sitter_ids=[s.pk for s in asked],
        starts_at=berlin(10, days=4),
        ends_at=berlin(13, days=4),
        child_ids=[child.pk],
    )
    pending = iter(zip(made, asked, strict=True))

    def accept() -> tuple[int, str | None]:
        booking, sitter = next(pending)
        response = client_for(sitter).post(f"/api/v1/bookings/{booking.pk}/accept")
        return response.status_code, response.json().get("code")

    # when
    outcomes = race(RACERS, accept, timeout=120)

    # then
    answers = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    assert len(answers) == RACERS, [o for o in outcomes if not isinstance(o, tuple)]
    assert [status for status, _ in answers].count(200) == 1
    assert sorted(code for status, code in answers if status != 200) == ["request_taken"] * (RACERS - 1)
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 1
    assert Booking.objects.filter(status=BookingStatus.CANCELLED, cancel_reason="taken").count() == RACERS - 1
    assert Hold.objects.count() == 1
