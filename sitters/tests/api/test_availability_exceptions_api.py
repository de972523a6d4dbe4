"""CRUD sitters/me/availability/exceptions: day off, busy hours, extra hours; validation; isolation."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from conftest import client_for
from guardiannest.audit.models import AuditEvent
from sitters.models import AvailabilityException, SitterProfile
from sitters.selectors.calendar import sitter_is_free
from sitters.services.calendar import availability_set, local_today
from sitters.tests.factories import SitterProfileFactory

URL = "/api/v1/sitters/me/availability/exceptions"
BERLIN = ZoneInfo("Europe/Berlin")

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(sitter: User) -> SitterProfile:
    """Available 09:00-17:00 every day, Berlin time."""
    profile = SitterProfileFactory(user=sitter)
    return availability_set(
        profile=profile, timezone="Europe/Berlin", windows=[(day, 540, 1020) for day in range(7)], actor=sitter
    )


def in_days(days: int) -> date:
    return local_today(BERLIN) + timedelta(days=days)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


def free(profile: SitterProfile, day: date, start: int, end: int) -> bool:
    return sitter_is_free(sitter_id=profile.pk, starts_at=at(day, start), ends_at=at(day, end))


def test_day_off_removes_the_day(sitter_api: APIClient, profile: SitterProfile) -> None:
    day = in_days(3)
    assert free(profile, day, 10, 12)

    response = sitter_api.post(URL, {"date": str(day), "available": False}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {"id": body["id"], "date": str(day), "available": False, "start_time": None, "end_time": None}
    assert not free(profile, day, 10, 12)
    assert free(profile, in_days(4), 10, 12)
    assert AuditEvent.objects.filter(action="sitter.availability_exception_created", target_id=body["id"]).exists()


def test_busy_hours_and_extra_hours(sitter_api: APIClient, profile: SitterProfile) -> None:
    day = in_days(2)

    busy = sitter_api.post(
        URL, {"date": str(day), "available": False, "start_time": "12:00", "end_time": "13:00"}, format="json"
    )
    extra = sitter_api.post(
        URL, {"date": str(day), "available": True, "start_time": "17:00", "end_time": "24:00"}, format="json"
    )

    assert busy.status_code == 201 and extra.status_code == 201
    assert extra.json()["end_time"] == "24:00"
    assert free(profile, day, 9, 12) and not free(profile, day, 11, 14)
    assert free(profile, day, 13, 23)


def test_list_get_patch_delete(sitter_api: APIClient, profile: SitterProfile) -> None:
    later = sitter_api.post(URL, {"date": str(in_days(5)), "available": False}, format="json").json()
    sooner = sitter_api.post(
        URL, {"date": str(in_days(1)), "available": True, "start_time": "07:00", "end_time": "09:00"}, format="json"
    ).json()

    listed = sitter_api.get(URL).json()
    assert [item["id"] for item in listed["results"]] == [sooner["id"], later["id"]]
    assert listed["next"] is None
    assert sitter_api.get(f"{URL}/{later['id']}").json() == later

    patched = sitter_api.patch(f"{URL}/{later['id']}", {"start_time": "10:00", "end_time": "11:00"}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["start_time"] == "10:00"
    assert not free(profile, in_days(5), 10, 11) and free(profile, in_days(5), 11, 17)

    assert sitter_api.delete(f"{URL}/{later['id']}").status_code == 204
    assert free(profile, in_days(5), 10, 11)
    assert not AvailabilityException.objects.filter(pk=later["id"]).exists()
    assert AuditEvent.objects.filter(action="sitter.availability_exception_deleted", target_id=later["id"]).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"date": "past", "available": False}, "date"),
        ({"date": "beyond", "available": False}, "date"),
        ({"date": "soon", "available": True}, "start_time"),
        ({"date": "soon", "available": False, "start_time": "10:00"}, "end_time"),
        ({"date": "soon", "available": False, "end_time": "10:00"}, "start_time"),
        ({"date": "soon", "available": False, "start_time": "10:00", "end_time": "10:00"}, "end_time"),
        ({"date": "soon", "available": False, "start_time": "10:00:00", "end_time": "11:00"}, "start_time"),
        ({"date": "soon", "available": False, "start_time": "24:00", "end_time": "24:00"}, "start_time"),
        ({"date": "not-a-date", "available": False}, "date"),
        ({"date": "soon"}, "available"),
        ({"date": "soon", "available": False, "kind": "x"}, "kind"),
    ],
)
def test_invalid_input_names_the_field(
    sitter_api: APIClient, profile: SitterProfile, payload: dict[str, object], field: str
) -> None:
    dates = {"past": in_days(-1), "beyond": in_days(61), "soon": in_days(1)}
    payload = {**payload, "date": str(dates.get(str(payload["date"]), payload["date"]))}

    body = assert_problem(sitter_api.post(URL, payload, format="json"), 400, "invalid")

    assert field in body["errors"], body
    assert not AvailabilityException.objects.exists()


def test_the_last_day_of_the_horizon_is_accepted(sitter_api: APIClient, profile: SitterProfile) -> None:
    assert sitter_api.post(URL, {"date": str(in_days(60)), "available": False}, format="json").status_code == 201


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"available": False}, {"available": True, "start_time": "18:00", "end_time": "19:00"}),
        ({"available": False, "start_time": "10:00", "end_time": "12:00"}, {"available": False}),
        (
            {"available": False, "start_time": "10:00", "end_time": "12:00"},
            {"available": True, "start_time": "11:00", "end_time": "13:00"},
        ),
    ],
)
def test_overlapping_exceptions_of_one_date_are_refused(
    sitter_api: APIClient, profile: SitterProfile, first: dict[str, object], second: dict[str, object]
) -> None:
    day = str(in_days(2))
    assert sitter_api.post(URL, {"date": day, **first}, format="json").status_code == 201

    body = assert_problem(sitter_api.post(URL, {"date": day, **second}, format="json"), 400, "availability_overlap")

    assert "date" in body["errors"]
    assert AvailabilityException.objects.count() == 1


def test_touching_exceptions_are_accepted(sitter_api: APIClient, profile: SitterProfile) -> None:
    day = str(in_days(2))
    busy = {"date": day, "available": False, "start_time": "10:00", "end_time": "12:00"}
    extra = {"date": day, "available": True, "start_time": "17:00", "end_time": "18:00"}
    more_busy = {"date": day, "available": False, "start_time": "12:00", "end_time": "13:00"}

    for payload in (busy, extra, more_busy):
        assert sitter_api.post(URL, payload, format="json").status_code == 201


def test_patch_is_validated_as_a_whole(sitter_api: APIClient, profile: SitterProfile) -> None:
    created = sitter_api.post(URL, {"date": str(in_days(3)), "available": False}, format="json").json()

    # Extra hours without times.
    body = assert_problem(sitter_api.patch(f"{URL}/{created['id']}", {"available": True}, format="json"), 400)
    assert "start_time" in body["errors"]
    assert AvailabilityException.objects.get(pk=created["id"]).available is False


def test_patch_does_not_overlap_itself(sitter_api: APIClient, profile: SitterProfile) -> None:
    created = sitter_api.post(
        URL, {"date": str(in_days(3)), "available": False, "start_time": "10:00", "end_time": "12:00"}, format="json"
    ).json()

    response = sitter_api.patch(f"{URL}/{created['id']}", {"end_time": "13:00"}, format="json")

    assert response.status_code == 200
    assert response.json()["end_time"] == "13:00"


def test_another_sitters_exception_is_not_found(profile: SitterProfile, other_sitter: User) -> None:
    exception = AvailabilityException.objects.create(sitter=profile, date=in_days(2), available=False)
    intruder = client_for(other_sitter)

    assert_problem(intruder.get(f"{URL}/{exception.pk}"), 404, "not_found")
    assert_problem(intruder.delete(f"{URL}/{exception.pk}"), 404, "not_found")
    assert intruder.get(URL).json()["results"] == []
    assert AvailabilityException.objects.filter(pk=exception.pk).exists()


def test_parents_are_forbidden(parent_api: APIClient) -> None:
    assert_problem(parent_api.get(URL), 403)
    assert_problem(parent_api.post(URL, {"date": str(in_days(1)), "available": False}, format="json"), 403)


def test_the_object_level_access_case_holds(request: pytest.FixtureRequest) -> None:
    """The case tests/test_access_object_level.py runs for this route, run here too."""
    from sitters.tests.access_cases_calendar import CASES

    CASES["sitters:availability-exception-detail"](request)
