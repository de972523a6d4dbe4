"""Holds: placing, releasing, moving; never two overlapping holds of one sitter, also under concurrency."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from itertools import count
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from accounts.models import User
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError, Refusal
from sitters.models import Hold, HoldKind, SitterProfile
from sitters.selectors.calendar import hold_overlapping, sitter_is_free
from sitters.services.calendar import (
    availability_set,
    hold_conflict_check,
    hold_move,
    hold_place,
    hold_release,
    local_today,
)
from sitters.tests.factories import SitterProfileFactory

BERLIN = ZoneInfo("Europe/Berlin")


def day_at(hour: int, days: int = 3) -> datetime:
    """A Berlin time ``days`` from today: inside the 08:00-20:00 windows set below."""
    return datetime.combine(local_today(BERLIN) + timedelta(days=days), time(hour), tzinfo=BERLIN)


def available_profile(user: User | None = None) -> SitterProfile:
    profile = SitterProfileFactory(**({"user": user} if user else {}))
    return availability_set(
        profile=profile, timezone="Europe/Berlin", windows=[(day, 480, 1200) for day in range(7)], actor=None
    )


def place(profile: SitterProfile, start: int, end: int, **kwargs: object) -> Hold:
    return hold_place(sitter_id=profile.pk, starts_at=day_at(start), ends_at=day_at(end), **kwargs)  # type: ignore[arg-type]


def code_of(outcome: object) -> str | None:
    return outcome.code if isinstance(outcome, ApplicationError) else None


def held_open(work: Callable[[], object]) -> threading.Thread:
    """Run ``work`` in another transaction left open: it commits half a second after this returns, while the
    caller's next statement waits on its locks. Needs ``django_db(transaction=True)``; join the thread after."""
    done, release = threading.Event(), threading.Event()

    def run() -> None:
        try:
            with transaction.atomic():
                work()
                done.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert done.wait(10)
    threading.Timer(0.5, release.set).start()
    return thread


# --- placing ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_place_inside_availability(sitter: User) -> None:
    profile = available_profile(sitter)
    reference = uuid.uuid4()

    hold = place(profile, 10, 12, reference=reference, actor=sitter)

    assert (hold.starts_at, hold.ends_at, hold.kind, hold.reference) == (day_at(10), day_at(12), "booking", reference)
    assert not sitter_is_free(sitter_id=profile.pk, starts_at=day_at(11), ends_at=day_at(13))
    assert sitter_is_free(sitter_id=profile.pk, starts_at=day_at(12), ends_at=day_at(13))
    event = AuditEvent.objects.get(action="sitter.hold_placed", target_id=str(hold.pk))
    assert event.data["reference"] == str(reference)


@pytest.mark.django_db
def test_place_outside_availability_is_refused_unless_not_required() -> None:
    profile = available_profile()

    with pytest.raises(ApplicationError) as refused:
        place(profile, 19, 21)

    assert (refused.value.code, refused.value.refusal) == ("sitter_unavailable", Refusal.CONFLICT)
    assert place(profile, 19, 21, require_available=False, kind=HoldKind.BLOCKED).kind == "blocked"


@pytest.mark.django_db
def test_place_across_two_spans_is_refused() -> None:
    profile = available_profile()
    evening = day_at(18, days=3)

    with pytest.raises(ApplicationError, match="not available"):
        hold_place(sitter_id=profile.pk, starts_at=evening, ends_at=evening + timedelta(hours=16))


@pytest.mark.django_db
def test_overlapping_hold_is_refused_touching_ones_fit() -> None:
    profile = available_profile()
    place(profile, 10, 12)

    for start, end in ((11, 13), (9, 11), (10, 12), (9, 14)):
        with pytest.raises(ApplicationError) as refused:
            place(profile, start, end)
        assert refused.value.code == "sitter_unavailable"
    place(profile, 12, 14)
    place(profile, 8, 10)

    assert Hold.objects.filter(sitter=profile).count() == 3


@pytest.mark.django_db
def test_holds_of_different_sitters_do_not_conflict() -> None:
    first, second = available_profile(), available_profile()

    place(first, 10, 12)
    place(second, 10, 12)

    assert Hold.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        (datetime(2030, 1, 1, 10), datetime(2030, 1, 1, 12, tzinfo=UTC), "starts_at"),
        (datetime(2030, 1, 1, 10, tzinfo=UTC), datetime(2030, 1, 1, 12), "ends_at"),
        (datetime(2030, 1, 1, 12, tzinfo=UTC), datetime(2030, 1, 1, 12, tzinfo=UTC), "ends_at"),
        (datetime(2030, 1, 1, 12, tzinfo=UTC), datetime(2030, 1, 1, 10, tzinfo=UTC), "ends_at"),
        (datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 8, 0, 1, tzinfo=UTC), "ends_at"),
    ],
)
def test_bad_periods_are_400_naming_the_field(starts_at: datetime, ends_at: datetime, field: str) -> None:
    profile = SitterProfileFactory()

    with pytest.raises(ApplicationError) as refused:
        hold_place(sitter_id=profile.pk, starts_at=starts_at, ends_at=ends_at, require_available=False)

    assert refused.value.refusal == Refusal.INVALID
    assert refused.value.errors is not None and field in refused.value.errors


@pytest.mark.django_db
def test_a_sitter_without_a_profile_is_unavailable(sitter: User) -> None:
    with pytest.raises(ApplicationError) as refused:
        hold_place(sitter_id=sitter.pk, starts_at=day_at(10), ends_at=day_at(12), require_available=False)

    assert refused.value.code == "sitter_unavailable"


@pytest.mark.django_db
def test_same_reference_same_period_is_idempotent_another_period_conflicts() -> None:
    profile = available_profile()
    reference = uuid.uuid4()
    hold = place(profile, 10, 12, reference=reference)

    assert place(profile, 10, 12, reference=reference).pk == hold.pk
    with pytest.raises(ApplicationError) as refused:
        place(profile, 14, 16, reference=reference)
    assert refused.value.code == "conflict"
    assert Hold.objects.count() == 1


@pytest.mark.django_db
def test_place_calls_for_cache_invalidation_after_commit(django_capture_on_commit_callbacks) -> None:
    profile = available_profile()

    with django_capture_on_commit_callbacks() as callbacks:
        place(profile, 10, 12)
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ApplicationError):
        place(profile, 11, 12)
    assert callbacks == []


# --- releasing and moving -----------------------------------------------------------------------


@pytest.mark.django_db
def test_release_is_idempotent() -> None:
    profile = available_profile()
    reference = uuid.uuid4()
    hold = place(profile, 10, 12, reference=reference)

    assert hold_release(reference=reference) is True
    assert hold_release(reference=reference) is False
    assert hold_release(reference=uuid.uuid4()) is False

    assert not Hold.objects.exists()
    assert AuditEvent.objects.filter(action="sitter.hold_released", target_id=str(hold.pk)).count() == 1
    assert sitter_is_free(sitter_id=profile.pk, starts_at=day_at(10), ends_at=day_at(12))


@pytest.mark.django_db
def test_move_checks_other_holds_but_not_itself() -> None:
    profile = available_profile()
    reference = uuid.uuid4()
    place(profile, 10, 12, reference=reference)
    place(profile, 14, 16)

    moved = hold_move(reference=reference, starts_at=day_at(11), ends_at=day_at(14))
    assert (moved.starts_at, moved.ends_at) == (day_at(11), day_at(14))

    with pytest.raises(ApplicationError) as refused:
        hold_move(reference=reference, starts_at=day_at(13), ends_at=day_at(15))
    assert refused.value.code == "sitter_unavailable"
    with pytest.raises(ApplicationError) as missing:
        hold_move(reference=uuid.uuid4(), starts_at=day_at(8), ends_at=day_at(9))
    assert missing.value.refusal == Refusal.NOT_FOUND
    assert Hold.objects.get(reference=reference).starts_at == day_at(11)


# --- the overlap check (the only guard on SQLite) ----------------------------------------------


@pytest.mark.django_db
def test_overlap_check_used_on_every_backend() -> None:
    profile, other = SitterProfileFactory(), SitterProfileFactory()
    hold = Hold.objects.create(sitter=profile, starts_at=day_at(10), ends_at=day_at(12))
    Hold.objects.create(sitter=other, starts_at=day_at(12), ends_at=day_at(18))

    def check(start: int, end: int, **kwargs: object) -> None:
        hold_conflict_check(
            sitter_id=profile.pk,
            starts_at=day_at(start),
            ends_at=day_at(end),
            require_available=False,
            **kwargs,  # type: ignore[arg-type]
        )

    check(12, 14)  # touches at the end
    check(8, 10)  # touches at the start
    check(10, 12, exclude_id=hold.pk)  # moving a hold over itself
    for start, end in ((11, 13), (9, 11), (10, 12), (10, 11), (9, 13)):
        with pytest.raises(ApplicationError):
            check(start, end)
    assert list(hold_overlapping(sitter_id=profile.pk, starts_at=day_at(11), ends_at=day_at(20))) == [hold]


# --- the database constraint (PostgreSQL) -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_overlap_only_the_constraint_sees_is_a_409_and_the_callers_transaction_lives_on() -> None:
    """Another transaction holds 10-12 uncommitted: the service's check cannot see it, the constraint does."""
    profile = SitterProfileFactory()
    thread = held_open(lambda: Hold.objects.create(sitter=profile, starts_at=day_at(10), ends_at=day_at(12)))
    with transaction.atomic():  # the booking's own transaction
        with pytest.raises(ApplicationError) as refused:
            hold_place(sitter_id=profile.pk, starts_at=day_at(11), ends_at=day_at(13), require_available=False)
        later = hold_place(sitter_id=profile.pk, starts_at=day_at(12), ends_at=day_at(13), require_available=False)
    thread.join(10)

    assert refused.value.code == "sitter_unavailable"
    assert sorted((h.starts_at, h.ends_at) for h in Hold.objects.all()) == [
        (day_at(10), day_at(12)),
        (later.starts_at, later.ends_at),
    ]


# --- concurrency --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_racing_overlapping_holds_exactly_one_wins() -> None:
    from conftest import race

    profile = available_profile()
    starts = iter(range(15))

    def attempt() -> Hold:
        offset = next(starts) * 5  # 15 different periods, all sharing 11:10-12:00
        start = day_at(10) + timedelta(minutes=offset)
        return hold_place(sitter_id=profile.pk, starts_at=start, ends_at=start + timedelta(hours=2))

    results = race(15, attempt)

    assert len(results) == 15
    winners = [r for r in results if isinstance(r, Hold)]
    assert len(winners) == 1, results
    assert [code_of(r) for r in results if not isinstance(r, Hold)] == ["sitter_unavailable"] * 14
    assert Hold.objects.filter(sitter=profile).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_identical_holds_exactly_one_wins() -> None:
    from conftest import race

    profile = available_profile()

    results = race(20, lambda: hold_place(sitter_id=profile.pk, starts_at=day_at(10), ends_at=day_at(12)))

    assert sum(isinstance(r, Hold) for r in results) == 1
    assert sorted(code_of(r) or "won" for r in results) == ["sitter_unavailable"] * 19 + ["won"]
    assert Hold.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_separate_and_touching_holds_all_succeed() -> None:
    from conftest import race

    profile = available_profile()
    hours = count(8)
    lock = threading.Lock()

    def attempt() -> Hold:
        with lock:
            hour = next(hours)
        return hold_place(sitter_id=profile.pk, starts_at=day_at(hour), ends_at=day_at(hour + 1))

    results = race(12, attempt)  # 08-09, 09-10, … 19-20: each touches the next

    assert all(isinstance(r, Hold) for r in results), results
    assert Hold.objects.filter(sitter=profile).count() == 12


@pytest.mark.django_db(transaction=True)
def test_racing_two_touching_holds_both_succeed() -> None:
    from conftest import race

    profile = available_profile()
    periods = iter([(10, 12), (12, 14)])

    def attempt() -> Hold:
        start, end = next(periods)
        return hold_place(sitter_id=profile.pk, starts_at=day_at(start), ends_at=day_at(end))

    results = race(2, attempt)

    assert all(isinstance(r, Hold) for r in results), results
    assert Hold.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("require_available", [True, False])
def test_racing_placements_of_one_reference_all_get_the_one_hold(require_available: bool) -> None:
    """A booking retried concurrently: with the profile lock (booking) or without it (blocked time, where the
    losers' inserts fail on the database's constraints), every caller gets the winner's hold, none a 409."""
    from conftest import race

    profile = available_profile()
    reference = uuid.uuid4()

    results = race(
        10,
        lambda: hold_place(
            sitter_id=profile.pk,
            starts_at=day_at(10),
            ends_at=day_at(12),
            reference=reference,
            require_available=require_available,
        ),
    )

    assert all(isinstance(r, Hold) for r in results), results
    assert {cast(Hold, r).pk for r in results} == {Hold.objects.get(reference=reference).pk}
    assert AuditEvent.objects.filter(action="sitter.hold_placed").count() == 1


def twin_uncommitted(profile: SitterProfile, reference: uuid.UUID) -> threading.Thread:
    """Another booking holds 10-12 under ``reference``, not yet committed: the service's look cannot see it."""
    return held_open(
        lambda: Hold.objects.create(sitter=profile, starts_at=day_at(10), ends_at=day_at(12), reference=reference)
    )


@pytest.mark.django_db(transaction=True)
def test_a_reference_only_the_constraint_sees_answers_with_the_committed_hold() -> None:
    profile = SitterProfileFactory()
    reference = uuid.uuid4()
    thread = twin_uncommitted(profile, reference)

    hold = hold_place(
        sitter_id=profile.pk, starts_at=day_at(10), ends_at=day_at(12), reference=reference, require_available=False
    )
    thread.join(10)

    assert hold.pk == Hold.objects.get(reference=reference).pk
    assert Hold.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_reference_only_the_constraint_sees_holding_another_period_is_a_conflict() -> None:
    profile = SitterProfileFactory()
    reference = uuid.uuid4()
    thread = twin_uncommitted(profile, reference)

    with pytest.raises(ApplicationError) as refused:
        hold_place(
            sitter_id=profile.pk, starts_at=day_at(14), ends_at=day_at(16), reference=reference, require_available=False
        )
    thread.join(10)

    assert (refused.value.code, refused.value.refusal) == ("conflict", Refusal.CONFLICT)
    assert list(Hold.objects.values_list("starts_at", flat=True)) == [day_at(10)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("operation", ["place", "move"])
def test_a_booking_waits_for_a_calendar_change_in_progress_and_sees_its_result(operation: str) -> None:
    """The sitter clears their week while a booking checks it: the booking must not pass on the old spans."""
    profile = available_profile()
    reference = uuid.uuid4()
    if operation == "move":
        place(profile, 8, 9, reference=reference)
    thread = held_open(lambda: availability_set(profile=profile, timezone="Europe/Berlin", windows=[], actor=None))
    with pytest.raises(ApplicationError) as refused:
        if operation == "place":
            place(profile, 10, 12)
        else:
            hold_move(reference=reference, starts_at=day_at(10), ends_at=day_at(12))
    thread.join(10)

    assert refused.value.code == "sitter_unavailable"
    assert list(Hold.objects.values_list("starts_at", flat=True)) == ([day_at(8)] if operation == "move" else [])
