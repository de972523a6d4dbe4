"""sitters/me/holds: a sitter blocks and frees their own time; bookings' holds stay put."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from sitters.models import Hold, SitterProfile
from sitters.services.calendar import hold_place
from sitters.tests.factories import SitterProfileFactory

URL = "/api/v1/sitters/me/holds"

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(sitter: User) -> SitterProfile:
    return cast(SitterProfile, SitterProfileFactory(user=sitter))


def period(hours_from_now: int, length: int = 2) -> dict[str, Any]:
    start = (timezone.now() + timedelta(days=2, hours=hours_from_now)).replace(microsecond=0)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=length)).isoformat()}


def test_block_list_and_free_time(sitter_api: APIClient, profile: SitterProfile) -> None:
    created = sitter_api.post(URL, period(0), format="json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "blocked"
    assert [item["id"] for item in sitter_api.get(URL).json()["results"]] == [body["id"]]

    assert sitter_api.delete(f"{URL}/{body['id']}").status_code == 204
    assert not Hold.objects.exists()


def test_blocking_over_another_hold_is_409(sitter_api: APIClient, profile: SitterProfile) -> None:
    assert sitter_api.post(URL, period(0), format="json").status_code == 201

    assert_problem(sitter_api.post(URL, period(1), format="json"), 409, "sitter_unavailable")
    assert sitter_api.post(URL, period(2), format="json").status_code == 201  # touching


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"starts_at": "2030-01-01T10:00:00", "ends_at": "2030-01-01T12:00:00+00:00"}, "starts_at"),
        ({"starts_at": "2030-01-01T12:00:00+00:00", "ends_at": "2030-01-01T10:00:00+00:00"}, "ends_at"),
        ({"starts_at": "2030-01-01T00:00:00+00:00", "ends_at": "2030-01-09T00:00:00+00:00"}, "ends_at"),
        ({"starts_at": "2020-01-01T10:00:00+00:00", "ends_at": "2020-01-01T12:00:00+00:00"}, "ends_at"),
        ({"starts_at": "tomorrow", "ends_at": "2030-01-01T12:00:00+00:00"}, "starts_at"),
        ({"starts_at": "2030-01-01T10:00:00+00:00"}, "ends_at"),
    ],
)
def test_bad_periods_are_400_naming_the_field(
    sitter_api: APIClient, profile: SitterProfile, payload: dict[str, str], field: str
) -> None:
    body = assert_problem(sitter_api.post(URL, payload, format="json"), 400, "invalid")

    assert field in body["errors"], body
    assert not Hold.objects.exists()


def test_a_bookings_hold_is_listed_but_not_freed_here(sitter_api: APIClient, profile: SitterProfile) -> None:
    start = timezone.now() + timedelta(days=3)
    hold = hold_place(
        sitter_id=profile.pk,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        reference=uuid.uuid4(),
        require_available=False,
    )

    assert sitter_api.get(URL).json()["results"][0]["kind"] == "booking"
    assert_problem(sitter_api.delete(f"{URL}/{hold.pk}"), 409, "conflict")
    assert Hold.objects.filter(pk=hold.pk).exists()


def test_ended_holds_are_not_listed(sitter_api: APIClient, profile: SitterProfile) -> None:
    now = timezone.now()
    Hold.objects.create(sitter=profile, starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1))

    assert sitter_api.get(URL).json()["results"] == []


def test_parents_are_forbidden(parent_api: APIClient) -> None:
    assert_problem(parent_api.get(URL), 403)
    assert_problem(parent_api.post(URL, period(0), format="json"), 403)


def test_the_object_level_access_case_holds(request: pytest.FixtureRequest) -> None:
    from sitters.tests.access_cases_calendar import CASES

    CASES["sitters:hold-detail"](request)
