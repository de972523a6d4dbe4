"""GET/PUT sitters/me/availability: the wire shape, validation naming the field, who may call it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent
from sitters.models import AvailabilitySpan, SitterProfile, WeeklyWindow
from sitters.selectors.calendar import sitter_is_free
from sitters.services.calendar import MAX_WINDOWS, local_today
from sitters.tests.factories import SitterProfileFactory

URL = "/api/v1/sitters/me/availability"
BERLIN = ZoneInfo("Europe/Berlin")

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(sitter: User) -> SitterProfile:
    return SitterProfileFactory(user=sitter)


def window(weekday: int, start: str, end: str) -> dict[str, object]:
    return {"weekday": weekday, "start_time": start, "end_time": end}


def put(client: APIClient, windows: list[dict[str, object]], timezone: str = "Europe/Berlin"):
    return client.put(URL, {"timezone": timezone, "windows": windows}, format="json")


def test_get_starts_empty_in_the_profile_time_zone(sitter_api: APIClient, profile: SitterProfile) -> None:
    response = sitter_api.get(URL)

    assert response.status_code == 200
    assert response.json() == {"timezone": "Europe/Berlin", "windows": [], "availability_until": None}


def test_put_replaces_the_windows_and_answers_them(sitter_api: APIClient, profile: SitterProfile) -> None:
    WeeklyWindow.objects.create(sitter=profile, weekday=3, start_minute=60, end_minute=120)

    response = put(sitter_api, [window(1, "18:00", "24:00"), window(0, "09:00", "12:30"), window(2, "00:00", "07:00")])

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["timezone"] == "Europe/Berlin"
    assert body["windows"] == [window(0, "09:00", "12:30"), window(1, "18:00", "24:00"), window(2, "00:00", "07:00")]
    today = local_today(BERLIN)
    assert body["availability_until"] == str(today + timedelta(days=60))
    assert list(WeeklyWindow.objects.filter(sitter=profile).values_list("weekday", "start_minute", "end_minute")) == [
        (0, 540, 750),
        (1, 1080, 1440),
        (2, 0, 420),
    ]
    assert sitter_api.get(URL).json() == body
    assert AuditEvent.objects.filter(action="sitter.availability_set", target_id=str(profile.pk)).count() == 1


def test_put_materialises_spans_so_the_sitter_is_free_then(sitter_api: APIClient, profile: SitterProfile) -> None:
    monday = local_today(BERLIN) + timedelta(days=7 - local_today(BERLIN).weekday())  # next Monday, at least a day on

    assert put(sitter_api, [window(0, "18:00", "24:00"), window(1, "00:00", "07:00")]).status_code == 200

    evening = datetime.combine(monday, time(20), tzinfo=BERLIN)
    assert sitter_is_free(sitter_id=profile.pk, starts_at=evening, ends_at=evening + timedelta(hours=10))
    assert not sitter_is_free(sitter_id=profile.pk, starts_at=evening, ends_at=evening + timedelta(hours=12))
    # Monday evening and Tuesday morning are one span.
    assert AvailabilitySpan.objects.filter(sitter=profile, starts_at=evening - timedelta(hours=2)).get().ends_at == (
        evening + timedelta(hours=11)
    )


def test_put_sets_the_time_zone_and_local_hours_follow_it(sitter_api: APIClient, profile: SitterProfile) -> None:
    response = put(sitter_api, [window(day, "09:00", "10:00") for day in range(7)], timezone="America/New_York")

    assert response.status_code == 200
    profile.refresh_from_db()
    assert profile.timezone == "America/New_York"
    first = AvailabilitySpan.objects.filter(sitter=profile).order_by("starts_at").first()
    assert first is not None
    assert first.starts_at.astimezone(ZoneInfo("America/New_York")).time() == time(9)


def test_touching_windows_are_accepted(sitter_api: APIClient, profile: SitterProfile) -> None:
    response = put(sitter_api, [window(0, "09:00", "12:00"), window(0, "12:00", "15:00")])

    assert response.status_code == 200
    assert len(response.json()["windows"]) == 2


def test_an_empty_list_clears_availability(sitter_api: APIClient, profile: SitterProfile) -> None:
    put(sitter_api, [window(0, "09:00", "12:00")])

    response = put(sitter_api, [])

    assert response.json()["windows"] == []
    assert not AvailabilitySpan.objects.filter(sitter=profile).exists()


@pytest.mark.parametrize(
    ("timezone", "windows", "field"),
    [
        ("Mars/Olympus", [], "timezone"),
        ("localtime", [], "timezone"),
        ("Europe/Berlin", [window(0, "09:00:00", "10:00")], "windows.0.start_time"),
        ("Europe/Berlin", [window(0, "9:00", "10:00")], "windows.0.start_time"),
        ("Europe/Berlin", [window(0, "24:00", "24:00")], "windows.0.start_time"),
        ("Europe/Berlin", [window(0, "09:00", "24:30")], "windows.0.end_time"),
        ("Europe/Berlin", [window(0, "09:00", "10:00"), window(7, "09:00", "10:00")], "windows.1.weekday"),
        ("Europe/Berlin", [window(0, "09:00", "10:00"), window(1, "10:00", "09:00")], "windows.1"),
        ("Europe/Berlin", [window(0, "10:00", "10:00")], "windows.0"),
        ("Europe/Berlin", [{"weekday": 0, "start_time": "09:00"}], "windows.0.end_time"),
    ],
)
def test_invalid_input_names_the_field(
    sitter_api: APIClient, profile: SitterProfile, timezone: str, windows: list[dict[str, object]], field: str
) -> None:
    body = assert_problem(put(sitter_api, windows, timezone=timezone), 400, "invalid")

    assert field in body["errors"], body
    assert not WeeklyWindow.objects.filter(sitter=profile).exists()


def test_overlapping_windows_name_both(sitter_api: APIClient, profile: SitterProfile) -> None:
    windows = [
        window(0, "08:00", "18:00"),
        window(1, "09:00", "12:00"),
        window(0, "09:00", "10:00"),
        window(0, "17:00", "19:00"),
    ]

    body = assert_problem(put(sitter_api, windows), 400, "availability_overlap")

    assert body["errors"] == {"windows.2": ["Overlaps window 0."], "windows.3": ["Overlaps window 0."]}


def test_too_many_windows(sitter_api: APIClient, profile: SitterProfile) -> None:
    windows = [window(day, f"{hour:02d}:00", f"{hour:02d}:30") for day in range(7) for hour in range(8)]
    assert len(windows) > MAX_WINDOWS

    body = assert_problem(put(sitter_api, windows), 400, "invalid")

    assert "windows" in body["errors"]


def test_unknown_fields_are_refused(sitter_api: APIClient, profile: SitterProfile) -> None:
    response = sitter_api.put(URL, {"timezone": "UTC", "windows": [], "tz": "UTC"}, format="json")

    assert "tz" in assert_problem(response, 400, "invalid")["errors"]


def test_a_failed_put_changes_nothing(sitter_api: APIClient, profile: SitterProfile) -> None:
    put(sitter_api, [window(0, "09:00", "12:00")])

    assert_problem(put(sitter_api, [window(0, "09:00", "12:00"), window(0, "11:00", "13:00")], "UTC"), 400)

    profile.refresh_from_db()
    assert profile.timezone == "Europe/Berlin"
    assert WeeklyWindow.objects.filter(sitter=profile).count() == 1


def test_parents_and_staff_are_forbidden(parent_api: APIClient, staff_api: APIClient) -> None:
    for client in (parent_api, staff_api):
        assert_problem(client.get(URL), 403)
        assert_problem(put(client, []), 403)


def test_anonymous_is_not_authenticated(api: APIClient) -> None:
    assert_problem(api.get(URL), 401)


def test_a_new_sitter_gets_a_profile_on_first_access(sitter_api: APIClient, sitter: User) -> None:
    response = put(sitter_api, [window(4, "16:00", "20:00")], timezone="Pacific/Auckland")

    assert response.status_code == 200
    assert SitterProfile.objects.get(user=sitter).timezone == "Pacific/Auckland"
