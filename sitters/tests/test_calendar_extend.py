"""The beat job: spans move forward with the calendar, once per sitter, idempotently."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from sitters.models import AvailabilitySpan, SitterProfile
from sitters.services.calendar import ExtendResult, availability_extend_due, availability_set, local_today, materialise
from sitters.tasks.calendar import availability_extend
from sitters.tests.factories import SitterProfileFactory


def new_profile(**kwargs: Any) -> SitterProfile:
    """A complete verified Berlin profile (the factory, typed)."""
    return cast(SitterProfile, SitterProfileFactory(**kwargs))


WEEKDAYS = [(day, 540, 1020) for day in range(5)]
ALWAYS = [(day, 0, 1440) for day in range(7)]


def spans_of(profile: SitterProfile) -> list[tuple[datetime, datetime]]:
    return list(
        AvailabilitySpan.objects.filter(sitter=profile).order_by("starts_at").values_list("starts_at", "ends_at")
    )


def set_up(windows, zone: str = "Europe/Berlin") -> SitterProfile:
    return availability_set(profile=new_profile(timezone=zone), timezone=zone, windows=windows, actor=None)


@pytest.mark.django_db
def test_nothing_is_due_right_after_a_change() -> None:
    profile = set_up(WEEKDAYS)
    before = spans_of(profile)

    result = availability_extend()

    assert result["extended"] == 0 and result["spans_written"] == 0
    assert spans_of(profile) == before


@pytest.mark.django_db
def test_a_day_later_each_sitter_gains_one_day_and_a_second_run_changes_nothing() -> None:
    berlin, auckland = set_up(WEEKDAYS), set_up(WEEKDAYS, "Pacific/Auckland")
    tomorrow = timezone.now() + timedelta(days=1)

    first = availability_extend_due(now=tomorrow)
    spans_after_first = {p.pk: spans_of(p) for p in (berlin, auckland)}
    second = availability_extend_due(now=tomorrow)

    assert first.extended == 2
    assert second.extended == 0 and second.spans_written == 0
    for profile in (berlin, auckland):
        profile.refresh_from_db()
        zone = ZoneInfo(profile.timezone)
        today = local_today(zone)
        assert profile.availability_until == local_today(zone, now=tomorrow) + timedelta(days=60)
        # Exactly what a full rewrite through the new last day would give.
        assert spans_of(profile) == materialise(
            tz=zone, windows=WEEKDAYS, exceptions=[], from_date=today, to_date=profile.availability_until
        )
        assert spans_of(profile) == spans_after_first[profile.pk]


@pytest.mark.django_db
def test_a_new_day_joining_the_last_span_lengthens_it() -> None:
    profile = set_up(ALWAYS, "UTC")
    assert len(spans_of(profile)) == 1

    result = availability_extend_due(now=timezone.now() + timedelta(days=3))

    assert result.extended == 1 and result.spans_written == 1
    ((_start, end),) = spans_of(profile)
    profile.refresh_from_db()
    assert profile.availability_until is not None
    assert end == datetime.combine(profile.availability_until + timedelta(days=1), time(), tzinfo=UTC)


@pytest.mark.django_db
def test_sitters_who_never_set_availability_are_left_alone() -> None:
    profile = new_profile()

    result = availability_extend_due(now=timezone.now() + timedelta(days=1))

    assert result.extended == 0
    profile.refresh_from_db()
    assert profile.availability_until is None
    assert not AvailabilitySpan.objects.exists()


@pytest.mark.django_db
def test_spans_long_over_are_deleted_recent_ones_kept() -> None:
    profile = new_profile()
    now = timezone.now()
    old = AvailabilitySpan.objects.create(
        sitter=profile, starts_at=now - timedelta(days=4), ends_at=now - timedelta(days=3)
    )
    recent = AvailabilitySpan.objects.create(
        sitter=profile, starts_at=now - timedelta(hours=5), ends_at=now - timedelta(hours=1)
    )

    assert availability_extend_due().spans_deleted == 1

    assert not AvailabilitySpan.objects.filter(pk=old.pk).exists()
    assert AvailabilitySpan.objects.filter(pk=recent.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_extend_the_same_sitter() -> None:
    from conftest import race

    profiles = [set_up(WEEKDAYS) for _ in range(3)]
    tomorrow = timezone.now() + timedelta(days=1)

    results = race(2, lambda: availability_extend_due(now=tomorrow, batch_size=1))

    finished = [r for r in results if isinstance(r, ExtendResult)]
    assert len(finished) == 2, results
    assert sum(r.extended for r in finished) == 3
    for profile in profiles:
        today = local_today(ZoneInfo("Europe/Berlin"))
        profile.refresh_from_db()
        assert profile.availability_until is not None
        assert spans_of(profile) == materialise(
            tz="Europe/Berlin", windows=WEEKDAYS, exceptions=[], from_date=today, to_date=profile.availability_until
        )
