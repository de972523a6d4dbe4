"""The beat job: spans move forward with the calendar, once per sitter, idempotently."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from sitters.cache import SEARCH_GENERATION_KEY, sitter_changed, sitters_changed_on_commit
from sitters.models import AvailabilitySpan, SitterProfile
from sitters.services.calendar import ExtendResult, availability_extend_due, availability_set, local_today, materialise
from sitters.tasks.calendar import availability_extend
from sitters.tests.factories import SitterProfileFactory

WEEKDAYS = [(day, 540, 1020) for day in range(5)]
ALWAYS = [(day, 0, 1440) for day in range(7)]


def spans_of(profile: SitterProfile) -> list[tuple[datetime, datetime]]:
    return list(
        AvailabilitySpan.objects.filter(sitter=profile).order_by("starts_at").values_list("starts_at", "ends_at")
    )


def set_up(windows, zone: str = "Europe/Berlin") -> SitterProfile:
    return availability_set(profile=SitterProfileFactory(timezone=zone), timezone=zone, windows=windows, actor=None)


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
    profile = SitterProfileFactory()

    result = availability_extend_due(now=timezone.now() + timedelta(days=1))

    assert result.extended == 0
    profile.refresh_from_db()
    assert profile.availability_until is None
    assert not AvailabilitySpan.objects.exists()


@pytest.mark.django_db
def test_spans_long_over_are_deleted_recent_ones_kept() -> None:
    profile = SitterProfileFactory()
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


# --- caches --------------------------------------------------------------------------------------


def profile_version(profile: SitterProfile) -> object:
    return cache.get(f"sitters:profile-version:{profile.pk}")


@pytest.mark.django_db
def test_only_sitters_whose_spans_changed_are_invalidated_once_per_batch(django_capture_on_commit_callbacks) -> None:
    changing = [set_up(ALWAYS) for _ in range(3)]
    idle = set_up([])  # due like the others, but its new day has no window: nothing is written
    for profile in [*changing, idle]:
        sitter_changed(profile.pk)  # tokens to compare with
    versions = {profile.pk: profile_version(profile) for profile in [*changing, idle]}
    generation = cache.get(SEARCH_GENERATION_KEY)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = availability_extend_due(now=timezone.now() + timedelta(days=1))

    assert (result.extended, result.spans_written) == (4, 3)
    assert len(callbacks) == 1  # one invalidation for the batch
    assert all(profile_version(profile) != versions[profile.pk] for profile in changing)
    assert profile_version(idle) == versions[idle.pk]
    assert cache.get(SEARCH_GENERATION_KEY) != generation


@pytest.mark.django_db
def test_each_batch_invalidates_its_changed_sitters_and_a_run_that_writes_nothing_invalidates_nothing(
    django_capture_on_commit_callbacks,
) -> None:
    for _ in range(3):
        set_up(ALWAYS)
    tomorrow = timezone.now() + timedelta(days=1)

    with django_capture_on_commit_callbacks() as first:
        availability_extend_due(now=tomorrow, batch_size=2)
    with django_capture_on_commit_callbacks() as second:
        availability_extend_due(now=tomorrow, batch_size=2)

    assert len(first) == 2  # batches of 2 and 1
    assert second == []


@pytest.mark.django_db
def test_sitters_changed_drops_each_profile_and_every_search_with_one_generation(
    parent_api: APIClient, django_capture_on_commit_callbacks
) -> None:
    first, second, untouched = SitterProfileFactory(), SitterProfileFactory(), SitterProfileFactory()
    for profile in (first, second, untouched):
        parent_api.get(f"/api/v1/sitters/{profile.pk}")
    parent_api.get("/api/v1/search/sitters", {"latitude": 52.52, "longitude": 13.405})
    SitterProfile.objects.update(bio="After")  # behind the caches' back

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sitters_changed_on_commit([first.pk, second.pk, first.pk])
        sitters_changed_on_commit([])  # nothing changed: nothing to do

    assert len(callbacks) == 1
    bios = {p.pk: parent_api.get(f"/api/v1/sitters/{p.pk}").json()["bio"] for p in (first, second, untouched)}
    assert bios == {first.pk: "After", second.pk: "After", untouched.pk: "Calm, patient, loves board games."}
    search = parent_api.get("/api/v1/search/sitters", {"latitude": 52.52, "longitude": 13.405}).json()
    assert {r["bio"] for r in search["results"]} == {"After"}
