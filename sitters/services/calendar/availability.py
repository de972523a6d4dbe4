"""Weekly windows, dated exceptions and the spans they materialise into.

Every change is one transaction that locks the sitter's profile row first
(so the windows, exceptions and spans of one sitter are written by one
transaction at a time, the beat job included), rewrites the spans from the
sitter's local today through the horizon, moves ``availability_until``,
writes one audit event as its last write and invalidates the sitter's
cached profile and searches after commit.

Input problems are 400s naming the field as the API spells it, with dotted
paths into lists (``windows.2``), the same shape DRF gives for nested
fields (``windows.2.start_time``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.db import transaction
from django.utils import timezone as dj_timezone

from accounts.models import User
from guardiannest.audit.services import audit_record
from guardiannest.errors import invalid, invalid_fields, not_found
from sitters.cache import sitter_changed_on_commit
from sitters.errors import SitterError
from sitters.models import AvailabilityException, AvailabilitySpan, SitterProfile, WeeklyWindow
from sitters.models.calendar import MINUTES_PER_DAY
from sitters.selectors.calendar import exception_list_between, window_list
from sitters.services.calendar.materialise import DatedException, materialise
from sitters.services.locks import sitter_profile_lock

MAX_WINDOWS = 50
MAX_EXCEPTIONS_PER_DAY = 10
# Not IANA zones, only names the system keeps beside them.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def timezone_is_valid(name: str) -> bool:
    return name in _zone_names()


def timezone_validate(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The IANA zone of that name, or a 400 naming ``field``."""
    if not timezone_is_valid(name):
        raise invalid(field, f"{name!r} is not an IANA time zone name (such as 'Europe/Berlin').")
    return ZoneInfo(name)


def horizon_days() -> int:
    return int(settings.SITTER_AVAILABILITY_HORIZON_DAYS)


def local_today(zone: ZoneInfo, *, now: datetime | None = None) -> date:
    return (now or dj_timezone.now()).astimezone(zone).date()


def _lock(profile: SitterProfile) -> SitterProfile:
    """The profile, locked until the caller's transaction ends (:mod:`sitters.services.locks`: the one lock)."""
    locked = sitter_profile_lock(sitter_id=profile.pk)
    if locked is None:  # deleted (with its account) since the caller read it
        raise not_found()
    return locked


# --- validation ---------------------------------------------------------------------------------


def windows_validate(windows: Sequence[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Weekday 0-6, 0 <= start < end <= 1440, at most ``MAX_WINDOWS``, no overlaps within a weekday.

    Windows that only touch (09:00-12:00 and 12:00-15:00) do not overlap.
    Errors name the window by its index in the request: ``windows.2``.
    """
    if len(windows) > MAX_WINDOWS:
        raise invalid("windows", f"At most {MAX_WINDOWS} windows.")
    errors: dict[str, list[str]] = {}
    for index, (weekday, start, end) in enumerate(windows):
        if not 0 <= weekday <= 6:
            errors[f"windows.{index}.weekday"] = ["Must be 0 (Monday) to 6 (Sunday)."]
        elif not 0 <= start < end <= MINUTES_PER_DAY:
            errors[f"windows.{index}"] = ["start_time must be before end_time."]
    if errors:
        raise invalid_fields(errors)
    order = sorted(range(len(windows)), key=lambda i: windows[i][:2])
    latest: int | None = None  # the window reaching furthest so far on the current weekday
    for previous, index in pairwise(order):
        if windows[previous][0] != windows[index][0]:
            latest = None
            continue
        if latest is None or windows[previous][2] > windows[latest][2]:
            latest = previous
        if windows[index][1] < windows[latest][2]:
            errors.setdefault(f"windows.{index}", []).append(f"Overlaps window {latest}.")
    if errors:
        raise invalid_fields(errors, SitterError.WINDOWS_OVERLAP)
    return sorted(windows)


def _exception_validate(
    *,
    profile: SitterProfile,
    day: date,
    available: bool,
    start_minute: int | None,
    end_minute: int | None,
    exclude_id: UUID | None = None,
) -> None:
    """Times both or neither (extra hours need them), start before end, the date from today to the horizon,
    and no overlap with the sitter's other exceptions of that date (a day off overlaps everything)."""
    if (start_minute is None) != (end_minute is None):
        missing = "end_time" if end_minute is None else "start_time"
        raise invalid(missing, "Send start_time and end_time together, or neither for a day off.")
    if available and start_minute is None:
        raise invalid("start_time", "Extra hours need start_time and end_time.")
    if start_minute is not None and end_minute is not None and not 0 <= start_minute < end_minute <= MINUTES_PER_DAY:
        raise invalid("end_time", "end_time must be after start_time.")
    today = local_today(ZoneInfo(profile.timezone))
    if day < today:
        raise invalid("date", "Must not be in the past (in your time zone).")
    if day > today + timedelta(days=horizon_days()):
        raise invalid("date", f"Must be within {horizon_days()} days from today.")
    others = exception_list_between(profile=profile, from_date=day, to_date=day)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    siblings = list(others)
    if len(siblings) >= MAX_EXCEPTIONS_PER_DAY:
        raise invalid("date", f"At most {MAX_EXCEPTIONS_PER_DAY} exceptions per day.")
    for other in siblings:
        whole_day = start_minute is None or other.start_minute is None or other.end_minute is None
        if whole_day or (start_minute < other.end_minute and other.start_minute < end_minute):  # type: ignore[operator]
            raise invalid("date", "Overlaps another exception of this date.", SitterError.WINDOWS_OVERLAP)


# --- spans --------------------------------------------------------------------------------------


def _exceptions_between(profile: SitterProfile, from_date: date, to_date: date) -> list[DatedException]:
    rows = exception_list_between(profile=profile, from_date=from_date, to_date=to_date)
    return [DatedException(row.date, row.available, row.start_minute, row.end_minute) for row in rows]


def _windows_of(profile: SitterProfile) -> list[tuple[int, int, int]]:
    return list(window_list(profile=profile).values_list("weekday", "start_minute", "end_minute"))


def spans_rewrite(*, profile: SitterProfile) -> None:
    """Replace the sitter's spans with those of local today through today + horizon.

    Precondition: the caller's transaction holds the profile row lock.
    Spans before local today go too: bookings start in the future.
    """
    zone = ZoneInfo(profile.timezone)
    today = local_today(zone)
    until = today + timedelta(days=horizon_days())
    intervals = materialise(
        tz=zone,
        windows=_windows_of(profile),
        exceptions=_exceptions_between(profile, today, until),
        from_date=today,
        to_date=until,
    )
    AvailabilitySpan.objects.filter(sitter=profile).delete()
    AvailabilitySpan.objects.bulk_create(
        [AvailabilitySpan(sitter=profile, starts_at=start, ends_at=end) for start, end in intervals]
    )
    profile.availability_until = until
    profile.save(update_fields=["availability_until", "updated_at"])
    sitter_changed_on_commit(profile.pk)


def spans_append(*, profile: SitterProfile, from_date: date, to_date: date) -> int:
    """Add the spans of ``from_date`` through ``to_date`` after the existing ones; returns rows written.

    A new piece that touches the last existing span (Sunday 18:00-24:00 then
    Monday 00:00-07:00) lengthens it instead, so spans stay merged.
    Precondition: the caller's transaction holds the profile row.
    """
    intervals = materialise(
        tz=profile.timezone,
        windows=_windows_of(profile),
        exceptions=_exceptions_between(profile, from_date, to_date),
        from_date=from_date,
        to_date=to_date,
    )
    if not intervals:
        return 0
    last = AvailabilitySpan.objects.filter(sitter=profile).order_by("-ends_at").first()
    written = 0
    if last is not None and intervals[0][0] <= last.ends_at:
        last.ends_at = max(last.ends_at, intervals[0][1])
        last.save(update_fields=["ends_at"])
        intervals, written = intervals[1:], 1
    AvailabilitySpan.objects.bulk_create(
        [AvailabilitySpan(sitter=profile, starts_at=start, ends_at=end) for start, end in intervals]
    )
    return written + len(intervals)


# --- services -----------------------------------------------------------------------------------


@transaction.atomic
def availability_set(
    *, profile: SitterProfile, timezone: str, windows: Sequence[tuple[int, int, int]], actor: User | None
) -> SitterProfile:
    """Replace all weekly windows ``(weekday, start_minute, end_minute)`` and set the sitter's time zone."""
    timezone_validate(timezone)
    cleaned = windows_validate(windows)
    locked = _lock(profile)
    timezone_changed = locked.timezone != timezone
    WeeklyWindow.objects.filter(sitter=locked).delete()
    WeeklyWindow.objects.bulk_create(
        [WeeklyWindow(sitter=locked, weekday=day, start_minute=start, end_minute=end) for day, start, end in cleaned]
    )
    if timezone_changed:
        locked.timezone = timezone
        locked.save(update_fields=["timezone", "updated_at"])
    spans_rewrite(profile=locked)
    audit_record(
        action="sitter.availability_set",
        actor=actor,
        target=locked,
        data={"timezone": timezone, "timezone_changed": timezone_changed, "windows": len(cleaned)},
    )
    return locked


@transaction.atomic
def calendar_timezone_changed(*, profile: SitterProfile, actor: User | None) -> SitterProfile:
    """Re-materialise after the profile's time zone changed: the same local hours are other instants now."""
    locked = _lock(profile)
    spans_rewrite(profile=locked)
    audit_record(
        action="sitter.availability_recomputed", actor=actor, target=locked, data={"timezone": locked.timezone}
    )
    return locked


def _exception_data(exception: AvailabilityException) -> dict[str, Any]:
    return {
        "date": exception.date,
        "available": exception.available,
        "start_minute": exception.start_minute,
        "end_minute": exception.end_minute,
    }


@transaction.atomic
def exception_create(
    *,
    profile: SitterProfile,
    date: date,
    available: bool,
    start_minute: int | None = None,
    end_minute: int | None = None,
    actor: User | None,
) -> AvailabilityException:
    """A day off (not available, no times), busy hours (not available, times) or extra hours (available, times)."""
    locked = _lock(profile)
    _exception_validate(profile=locked, day=date, available=available, start_minute=start_minute, end_minute=end_minute)
    exception = AvailabilityException.objects.create(
        sitter=locked, date=date, available=available, start_minute=start_minute, end_minute=end_minute
    )
    spans_rewrite(profile=locked)
    audit_record(
        action="sitter.availability_exception_created", actor=actor, target=exception, data=_exception_data(exception)
    )
    return exception


@transaction.atomic
def exception_update(
    *,
    exception: AvailabilityException,
    date: date,
    available: bool,
    start_minute: int | None,
    end_minute: int | None,
    actor: User | None,
) -> AvailabilityException:
    """Change an exception as a whole (the API merges a PATCH into the stored values first)."""
    locked = _lock(exception.sitter)
    row = AvailabilityException.objects.select_for_update().get(pk=exception.pk)
    if row.date < local_today(ZoneInfo(locked.timezone)):
        raise invalid("date", "A past exception cannot change.")
    _exception_validate(
        profile=locked,
        day=date,
        available=available,
        start_minute=start_minute,
        end_minute=end_minute,
        exclude_id=row.pk,
    )
    row.date, row.available, row.start_minute, row.end_minute = date, available, start_minute, end_minute
    row.save(update_fields=["date", "available", "start_minute", "end_minute"])
    spans_rewrite(profile=locked)
    audit_record(action="sitter.availability_exception_updated", actor=actor, target=row, data=_exception_data(row))
    return row


@transaction.atomic
def exception_delete(*, exception: AvailabilityException, actor: User | None) -> None:
    locked = _lock(exception.sitter)
    exception_id = exception.pk
    AvailabilityException.objects.filter(pk=exception_id).delete()
    spans_rewrite(profile=locked)
    audit_record(
        action="sitter.availability_exception_deleted",
        actor=actor,
        target_type="sitters.availabilityexception",
        target_id=exception_id,
    )
