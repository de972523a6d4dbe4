"""Weekly windows and dated exceptions turned into merged UTC intervals. Pure: no database, no clock.

A sitter writes local wall-clock times in their one time zone; search and
holds need instants. :func:`materialise` does the translation for a range of
local dates, so the calendar services (which write ``AvailabilitySpan``) and
the tests share one rule.

One local date at a time, in local minutes:
``(windows of its weekday - busy exceptions) | extra-hours exceptions``;
a day off clears the windows. (Exceptions of one date never overlap each
other, the services refuse it, so the order of subtracting and adding does
not matter.) Each local piece then becomes a UTC interval and all of them are
merged, touching ones included: Monday 18:00-24:00 and Tuesday 00:00-07:00
are one interval.

Daylight saving, the rule chosen:

- A local time that does not exist (the clock jumps over it) means the
  instant the jump ends. A window 01:00-04:00 on Berlin's spring-forward
  night is 2 hours long in UTC; a window 02:00-02:30 that night is empty.
- A local time that happens twice (the clock repeats an hour) means its
  first occurrence when it starts a piece and its second when it ends one,
  so a piece never shrinks when the clock turns back: a window 01:00-04:00 on
  the fall-back night is 4 hours long; 02:00-03:00 covers both passes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]
Minutes = tuple[int, int]
# The ends of a piece: local minutes of one date, or UTC instants.
Point = TypeVar("Point", int, datetime)


@dataclass(frozen=True)
class DatedException:
    """A dated change: no times and not available = day off; times = busy (False) or extra hours (True)."""

    date: date
    available: bool
    start_minute: int | None = None
    end_minute: int | None = None


def merge(pieces: Iterable[tuple[Point, Point]]) -> list[tuple[Point, Point]]:
    """Sorted, with overlapping or touching pieces joined (minutes of a day and UTC intervals alike)."""
    merged: list[tuple[Point, Point]] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract_minutes(pieces: list[Minutes], cut: Minutes) -> list[Minutes]:
    out: list[Minutes] = []
    for start, end in pieces:
        if cut[1] <= start or end <= cut[0]:
            out.append((start, end))
            continue
        if start < cut[0]:
            out.append((start, cut[0]))
        if cut[1] < end:
            out.append((cut[1], end))
    return out


def local_day(windows: Iterable[Minutes], exceptions: Iterable[DatedException]) -> list[Minutes]:
    """The available minutes of one local date: its weekday's windows changed by that date's exceptions."""
    pieces = merge(windows)
    extra: list[Minutes] = []
    for exception in exceptions:
        if exception.start_minute is None or exception.end_minute is None:
            if not exception.available:
                pieces = []
            continue
        piece = (exception.start_minute, exception.end_minute)
        if exception.available:
            extra.append(piece)
        else:
            pieces = subtract_minutes(pieces, piece)
    return merge([*pieces, *extra])


def _gap_end(tz: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The instant the clock jumps, found between ``before`` (old offset) and ``after`` (new offset)."""
    low, high = int(before.timestamp()), int(after.timestamp())
    new_offset = after.astimezone(tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == new_offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def local_to_utc(day: date, minute: int, tz: ZoneInfo, *, is_end: bool) -> datetime:
    """``minute`` minutes after local midnight of ``day`` (1440: the next midnight) as a UTC instant.

    Uses the module's daylight-saving rule. PEP 495: ``fold=0`` takes the
    offset in force before a transition, ``fold=1`` the one after.
    """
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    before = naive.replace(tzinfo=tz, fold=0).utcoffset()
    after = naive.replace(tzinfo=tz, fold=1).utcoffset()
    assert before is not None  # a ZoneInfo always answers
    assert after is not None
    if before == after:
        return (naive - before).replace(tzinfo=UTC)
    first, second = (naive - before).replace(tzinfo=UTC), (naive - after).replace(tzinfo=UTC)
    if before > after:  # the clock turned back: the time happens twice, at ``first`` then ``second``
        return second if is_end else first
    # The clock jumped forward over this time: ``second`` is before the jump, ``first`` after it.
    return _gap_end(tz, second, first)


def materialise(
    *,
    tz: ZoneInfo | str,
    windows: Iterable[tuple[int, int, int]],
    exceptions: Iterable[DatedException],
    from_date: date,
    to_date: date,
) -> list[Interval]:
    """Merged UTC ``[start, end)`` intervals of the local dates ``from_date`` through ``to_date``.

    ``windows`` are ``(weekday 0=Monday, start_minute, end_minute)`` with end
    up to 1440; exceptions outside the date range are ignored.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    by_weekday: dict[int, list[Minutes]] = defaultdict(list)
    for weekday, first_minute, last_minute in windows:
        by_weekday[weekday].append((first_minute, last_minute))
    by_date: dict[date, list[DatedException]] = defaultdict(list)
    for exception in exceptions:
        by_date[exception.date].append(exception)

    intervals: list[Interval] = []
    day = from_date
    while day <= to_date:
        for start_minute, end_minute in local_day(by_weekday.get(day.weekday(), []), by_date.get(day, [])):
            start = local_to_utc(day, start_minute, zone, is_end=False)
            end = local_to_utc(day, end_minute, zone, is_end=True)
            if start < end:
                intervals.append((start, end))
        day += timedelta(days=1)
    return merge(intervals)
