"""Calendar services: spans follow windows, exceptions and the time zone; one transaction each."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.models import User
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError, Refusal
from sitters.models import AvailabilitySpan, SitterProfile
from sitters.services.calendar import (
    availability_set,
    calendar_timezone_changed,
    exception_create,
    exception_delete,
    exception_update,
    local_today,
    materialise,
    timezone_validate,
    windows_validate,
)
from sitters.services.calendar.materialise import DatedException
from sitters.tests.factories import SitterProfileFactory

pytestmark = pytest.mark.django_db

WEEKDAYS_9_TO_17 = [(day, 540, 1020) for day in range(5)]


def spans_of(profile: SitterProfile) -> list[tuple[datetime, datetime]]:
    return list(
        AvailabilitySpan.objects.filter(sitter=profile).order_by("starts_at").values_list("starts_at", "ends_at")
    )


def expected(profile: SitterProfile, windows, exceptions=()) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(profile.timezone)
    today = local_today(zone)
    return materialise(
        tz=zone, windows=windows, exceptions=list(exceptions), from_date=today, to_date=today + timedelta(days=60)
    )


def test_availability_set_writes_the_spans_of_the_whole_horizon(sitter: User) -> None:
    profile = SitterProfileFactory(user=sitter)

    profile = availability_set(profile=profile, timezone="Europe/Berlin", windows=WEEKDAYS_9_TO_17, actor=sitter)

    assert spans_of(profile) == expected(profile, WEEKDAYS_9_TO_17)
    assert 40 <= len(spans_of(profile)) <= 45  # five a week for about nine weeks
    assert profile.availability_until == local_today(ZoneInfo("Europe/Berlin")) + timedelta(days=60)
    event = AuditEvent.objects.get(action="sitter.availability_set")
    assert event.data == {"timezone": "Europe/Berlin", "timezone_changed": False, "windows": 5}


def test_availability_set_replaces_previous_spans(sitter: User) -> None:
    profile = availability_set(
        profile=SitterProfileFactory(user=sitter), timezone="UTC", windows=WEEKDAYS_9_TO_17, actor=None
    )

    availability_set(profile=profile, timezone="UTC", windows=[(5, 0, 1440), (6, 0, 1440)], actor=None)

    spans = spans_of(profile)
    assert spans == expected(profile, [(5, 0, 1440), (6, 0, 1440)])
    assert all(end - start == timedelta(days=2) for start, end in spans[1:-1])  # each weekend is one span


def test_invalid_windows_change_nothing(sitter: User) -> None:
    profile = availability_set(
        profile=SitterProfileFactory(user=sitter), timezone="UTC", windows=WEEKDAYS_9_TO_17, actor=None
    )
    before = spans_of(profile)

    with pytest.raises(ApplicationError) as refused:
        availability_set(profile=profile, timezone="UTC", windows=[(0, 600, 700), (0, 650, 800)], actor=None)

    assert refused.value.refusal == Refusal.INVALID and refused.value.errors == {"windows.1": ["Overlaps window 0."]}
    assert spans_of(profile) == before


@pytest.mark.parametrize(
    ("windows", "key"),
    [
        ([(0, 600, 600)], "windows.0"),
        ([(0, 600, 1441)], "windows.0"),
        ([(7, 600, 700)], "windows.0.weekday"),
        ([(0, 0, 100), (0, 50, 60)], "windows.1"),
        ([(0, 0, 1440), (1, 0, 10), (0, 1439, 1440)], "windows.2"),
    ],
)
def test_windows_validate(windows: list[tuple[int, int, int]], key: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        windows_validate(windows)

    assert refused.value.errors is not None and key in refused.value.errors


def test_windows_validate_accepts_touching_and_sorts() -> None:
    assert windows_validate([(1, 0, 60), (0, 60, 120), (0, 0, 60)]) == [(0, 0, 60), (0, 60, 120), (1, 0, 60)]


def test_timezone_validate() -> None:
    assert timezone_validate("Pacific/Auckland").key == "Pacific/Auckland"
    for name in ("", "Nowhere/City", "../etc/passwd", "localtime"):
        with pytest.raises(ApplicationError) as refused:
            timezone_validate(name)
        assert refused.value.errors is not None and "timezone" in refused.value.errors


def test_timezone_changed_moves_the_same_local_hours(sitter: User) -> None:
    profile = availability_set(
        profile=SitterProfileFactory(user=sitter), timezone="Europe/Berlin", windows=WEEKDAYS_9_TO_17, actor=None
    )
    # The profile engineer's service changes the zone, then calls this.
    SitterProfile.objects.filter(pk=profile.pk).update(timezone="Pacific/Honolulu")
    profile.refresh_from_db()

    calendar_timezone_changed(profile=profile, actor=sitter)

    assert spans_of(profile) == expected(profile, WEEKDAYS_9_TO_17)
    first_start = spans_of(profile)[0][0]
    assert first_start.astimezone(ZoneInfo("Pacific/Honolulu")).hour == 9
    assert AuditEvent.objects.filter(action="sitter.availability_recomputed", target_id=str(profile.pk)).exists()


def test_exception_services_rewrite_the_spans(sitter: User) -> None:
    profile = availability_set(
        profile=SitterProfileFactory(user=sitter),
        timezone="UTC",
        windows=[(d, 540, 1020) for d in range(7)],
        actor=None,
    )
    day = local_today(ZoneInfo("UTC")) + timedelta(days=2)

    exception = exception_create(profile=profile, date=day, available=False, actor=sitter)
    assert spans_of(profile) == expected(profile, [(d, 540, 1020) for d in range(7)], [DatedException(day, False)])

    exception = exception_update(
        exception=exception, date=day, available=True, start_minute=1020, end_minute=1200, actor=sitter
    )
    assert spans_of(profile) == expected(
        profile, [(d, 540, 1020) for d in range(7)], [DatedException(day, True, 1020, 1200)]
    )

    exception_delete(exception=exception, actor=sitter)
    assert spans_of(profile) == expected(profile, [(d, 540, 1020) for d in range(7)])
    actions = list(
        AuditEvent.objects.filter(action__startswith="sitter.availability_exception").values_list("action", flat=True)
    )
    assert sorted(actions) == [
        "sitter.availability_exception_created",
        "sitter.availability_exception_deleted",
        "sitter.availability_exception_updated",
    ]


def test_a_past_exception_cannot_change(sitter: User) -> None:
    profile = availability_set(profile=SitterProfileFactory(user=sitter), timezone="UTC", windows=[], actor=None)
    from sitters.models import AvailabilityException

    past = AvailabilityException.objects.create(
        sitter=profile, date=local_today(ZoneInfo("UTC")) - timedelta(days=1), available=False
    )

    with pytest.raises(ApplicationError) as refused:
        exception_update(
            exception=past,
            date=past.date + timedelta(days=3),
            available=False,
            start_minute=None,
            end_minute=None,
            actor=None,
        )

    assert refused.value.errors is not None and "date" in refused.value.errors


def test_every_change_asks_for_cache_invalidation_after_commit(
    sitter: User, django_capture_on_commit_callbacks
) -> None:
    profile = SitterProfileFactory(user=sitter)

    with django_capture_on_commit_callbacks() as callbacks:
        availability_set(profile=profile, timezone="UTC", windows=WEEKDAYS_9_TO_17, actor=None)
    assert len(callbacks) >= 1

    with django_capture_on_commit_callbacks() as callbacks:
        exception_create(
            profile=profile, date=local_today(ZoneInfo("UTC")) + timedelta(days=1), available=False, actor=None
        )
    assert len(callbacks) >= 1

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ApplicationError):
        availability_set(profile=profile, timezone="Nowhere/City", windows=[], actor=None)
    assert callbacks == []
