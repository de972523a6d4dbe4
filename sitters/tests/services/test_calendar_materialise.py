"""The pure local-time → UTC rule: daylight saving, the date line, midnight joins, exceptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from sitters.services.calendar.materialise import DatedException, local_day, local_to_utc, materialise

H = 60
MON, TUE, SAT, SUN = 0, 1, 5, 6


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def one_day(tz: str, day: date, windows: list[tuple[int, int, int]], exceptions: list[DatedException] | None = None):
    return materialise(tz=tz, windows=windows, exceptions=exceptions or [], from_date=day, to_date=day)


# --- daylight saving: Europe/Berlin -------------------------------------------------------------


def test_berlin_spring_forward_window_across_the_gap_is_two_hours() -> None:
    # 2024-03-31: 02:00 CET jumps to 03:00 CEST.
    assert one_day("Europe/Berlin", date(2024, 3, 31), [(SUN, 1 * H, 4 * H)]) == [
        (utc(2024, 3, 31, 0), utc(2024, 3, 31, 2))
    ]


def test_berlin_spring_forward_window_inside_the_gap_is_empty() -> None:
    assert one_day("Europe/Berlin", date(2024, 3, 31), [(SUN, 2 * H, 2 * H + 30)]) == []


def test_berlin_spring_forward_start_in_the_gap_means_the_end_of_the_jump() -> None:
    assert one_day("Europe/Berlin", date(2024, 3, 31), [(SUN, 2 * H + 30, 5 * H)]) == [
        (utc(2024, 3, 31, 1), utc(2024, 3, 31, 3))
    ]


def test_berlin_fall_back_window_across_the_repeated_hour_is_four_hours() -> None:
    # 2024-10-27: 03:00 CEST turns back to 02:00 CET.
    assert one_day("Europe/Berlin", date(2024, 10, 27), [(SUN, 1 * H, 4 * H)]) == [
        (utc(2024, 10, 26, 23), utc(2024, 10, 27, 3))
    ]


def test_berlin_fall_back_repeated_hour_covers_both_passes() -> None:
    # Start: the first 02:00 (CEST, 00:00Z); end: 03:00 CET (02:00Z).
    assert one_day("Europe/Berlin", date(2024, 10, 27), [(SUN, 2 * H, 3 * H)]) == [
        (utc(2024, 10, 27, 0), utc(2024, 10, 27, 2))
    ]


def test_ambiguous_start_takes_the_first_and_ambiguous_end_the_second_occurrence() -> None:
    start = local_to_utc(date(2024, 10, 27), 2 * H + 30, _zone("Europe/Berlin"), is_end=False)
    end = local_to_utc(date(2024, 10, 27), 2 * H + 30, _zone("Europe/Berlin"), is_end=True)
    assert (start, end) == (utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 1, 30))


def test_ordinary_berlin_summer_day() -> None:
    assert one_day("Europe/Berlin", date(2024, 7, 1), [(MON, 9 * H, 17 * H)]) == [
        (utc(2024, 7, 1, 7), utc(2024, 7, 1, 15))
    ]


# --- daylight saving: America/New_York ----------------------------------------------------------


def test_new_york_spring_forward() -> None:
    # 2024-03-10: 02:00 EST jumps to 03:00 EDT.
    assert one_day("America/New_York", date(2024, 3, 10), [(SUN, 1 * H, 4 * H)]) == [
        (utc(2024, 3, 10, 6), utc(2024, 3, 10, 8))
    ]


def test_new_york_fall_back() -> None:
    # 2024-11-03: 02:00 EDT turns back to 01:00 EST; 01:00-01:30 happens twice.
    day = date(2024, 11, 3)
    assert one_day("America/New_York", day, [(SUN, 0, 3 * H)]) == [(utc(2024, 11, 3, 4), utc(2024, 11, 3, 8))]
    assert one_day("America/New_York", day, [(SUN, 1 * H, 1 * H + 30)]) == [
        (utc(2024, 11, 3, 5), utc(2024, 11, 3, 6, 30))
    ]


# --- around the date line -----------------------------------------------------------------------


def test_auckland_morning_is_the_previous_utc_day() -> None:
    # NZDT is UTC+13: Monday 08:00-12:00 is Sunday 19:00-23:00 UTC.
    assert one_day("Pacific/Auckland", date(2024, 1, 8), [(MON, 8 * H, 12 * H)]) == [
        (utc(2024, 1, 7, 19), utc(2024, 1, 7, 23))
    ]


def test_auckland_spring_forward() -> None:
    # 2024-09-29: 02:00 NZST (+12) jumps to 03:00 NZDT (+13).
    assert one_day("Pacific/Auckland", date(2024, 9, 29), [(SUN, 1 * H, 4 * H)]) == [
        (utc(2024, 9, 28, 13), utc(2024, 9, 28, 15))
    ]


def test_honolulu_evening_joins_the_next_morning_on_the_next_utc_day() -> None:
    # HST is UTC-10, no daylight saving.
    spans = materialise(
        tz="Pacific/Honolulu",
        windows=[(MON, 20 * H, 24 * H), (TUE, 0, 2 * H)],
        exceptions=[],
        from_date=date(2024, 1, 8),
        to_date=date(2024, 1, 9),
    )
    assert spans == [(utc(2024, 1, 9, 6), utc(2024, 1, 9, 12))]


def test_a_skipped_calendar_day_has_no_availability() -> None:
    # Samoa moved across the date line: 2011-12-30 never happened in Pacific/Apia.
    spans = materialise(
        tz="Pacific/Apia",
        windows=[(weekday, 9 * H, 17 * H) for weekday in range(7)],
        exceptions=[],
        from_date=date(2011, 12, 29),
        to_date=date(2011, 12, 31),
    )
    # Thursday 29th at UTC-10, Saturday 31st at UTC+14.
    assert spans == [(utc(2011, 12, 29, 19), utc(2011, 12, 30, 3)), (utc(2011, 12, 30, 19), utc(2011, 12, 31, 3))]


# --- merging across midnight --------------------------------------------------------------------


def test_windows_touching_across_midnight_merge_into_one_interval() -> None:
    spans = materialise(
        tz="Europe/Berlin",
        windows=[(MON, 18 * H, 24 * H), (TUE, 0, 7 * H)],
        exceptions=[],
        from_date=date(2024, 7, 1),
        to_date=date(2024, 7, 2),
    )
    assert spans == [(utc(2024, 7, 1, 16), utc(2024, 7, 2, 5))]


def test_sunday_night_joins_monday_morning_across_the_week() -> None:
    spans = materialise(
        tz="UTC",
        windows=[(SUN, 20 * H, 24 * H), (MON, 0, 6 * H)],
        exceptions=[],
        from_date=date(2024, 7, 7),
        to_date=date(2024, 7, 8),
    )
    assert spans == [(utc(2024, 7, 7, 20), utc(2024, 7, 8, 6))]


def test_midnight_inside_a_gap_still_joins_the_days() -> None:
    # America/Havana 2024-03-10: 00:00 CST (-5) jumps to 01:00 CDT (-4); midnight does not exist.
    spans = materialise(
        tz="America/Havana",
        windows=[(SAT, 20 * H, 24 * H), (SUN, 0, 2 * H)],
        exceptions=[],
        from_date=date(2024, 3, 9),
        to_date=date(2024, 3, 10),
    )
    assert spans == [(utc(2024, 3, 10, 1), utc(2024, 3, 10, 6))]


def test_windows_that_only_touch_within_a_day_merge() -> None:
    assert one_day("UTC", date(2024, 7, 1), [(MON, 9 * H, 12 * H), (MON, 12 * H, 15 * H)]) == [
        (utc(2024, 7, 1, 9), utc(2024, 7, 1, 15))
    ]


def test_a_range_repeats_the_week() -> None:
    spans = materialise(
        tz="UTC", windows=[(MON, 9 * H, 10 * H)], exceptions=[], from_date=date(2024, 7, 1), to_date=date(2024, 7, 21)
    )
    assert [start for start, _ in spans] == [utc(2024, 7, 1, 9), utc(2024, 7, 8, 9), utc(2024, 7, 15, 9)]


# --- exceptions ---------------------------------------------------------------------------------


def test_day_off_removes_the_windows_of_that_date_only() -> None:
    spans = materialise(
        tz="UTC",
        windows=[(MON, 9 * H, 17 * H), (TUE, 9 * H, 17 * H)],
        exceptions=[DatedException(date(2024, 7, 1), available=False)],
        from_date=date(2024, 7, 1),
        to_date=date(2024, 7, 2),
    )
    assert spans == [(utc(2024, 7, 2, 9), utc(2024, 7, 2, 17))]


def test_busy_part_splits_a_window() -> None:
    busy = DatedException(date(2024, 7, 1), False, 12 * H, 13 * H)
    assert one_day("UTC", date(2024, 7, 1), [(MON, 9 * H, 17 * H)], [busy]) == [
        (utc(2024, 7, 1, 9), utc(2024, 7, 1, 12)),
        (utc(2024, 7, 1, 13), utc(2024, 7, 1, 17)),
    ]


def test_extra_hours_add_time_and_join_a_touching_window() -> None:
    extra = DatedException(date(2024, 7, 1), True, 17 * H, 20 * H)
    other_day = DatedException(date(2024, 7, 3), True, 8 * H, 9 * H)
    assert one_day("UTC", date(2024, 7, 1), [(MON, 9 * H, 17 * H)], [extra, other_day]) == [
        (utc(2024, 7, 1, 9), utc(2024, 7, 1, 20))
    ]


def test_extra_hours_on_a_day_without_windows() -> None:
    extra = DatedException(date(2024, 7, 6), True, 10 * H, 14 * H)
    assert one_day("Europe/Berlin", date(2024, 7, 6), [(MON, 9 * H, 17 * H)], [extra]) == [
        (utc(2024, 7, 6, 8), utc(2024, 7, 6, 12))
    ]


def test_busy_part_at_the_end_of_the_day_breaks_the_midnight_join() -> None:
    busy = DatedException(date(2024, 7, 1), False, 23 * H, 24 * H)
    spans = materialise(
        tz="UTC",
        windows=[(MON, 18 * H, 24 * H), (TUE, 0, 7 * H)],
        exceptions=[busy],
        from_date=date(2024, 7, 1),
        to_date=date(2024, 7, 2),
    )
    assert spans == [(utc(2024, 7, 1, 18), utc(2024, 7, 1, 23)), (utc(2024, 7, 2, 0), utc(2024, 7, 2, 7))]


@pytest.mark.parametrize(
    ("windows", "exceptions", "expected"),
    [
        ([(9 * H, 17 * H)], [], [(9 * H, 17 * H)]),
        ([(9 * H, 12 * H), (11 * H, 15 * H)], [], [(9 * H, 15 * H)]),
        ([(9 * H, 17 * H)], [DatedException(date(2024, 7, 1), False, 8 * H, 10 * H)], [(10 * H, 17 * H)]),
        ([(9 * H, 17 * H)], [DatedException(date(2024, 7, 1), False, 9 * H, 17 * H)], []),
    ],
)
def test_local_day(windows, exceptions, expected) -> None:
    assert local_day(windows, exceptions) == expected


def test_every_interval_is_aware_utc_and_ordered() -> None:
    spans = materialise(
        tz="America/New_York",
        windows=[(weekday, 7 * H, 19 * H) for weekday in range(7)],
        exceptions=[],
        from_date=date(2024, 3, 1),
        to_date=date(2024, 3, 31),
    )
    assert len(spans) == 31
    assert all(start.tzinfo is UTC and start < end for start, end in spans)
    assert all(earlier[1] < later[0] for earlier, later in pairwise(spans))
    # Before the switch 12:00Z is 07:00 EST; after it 11:00Z is 07:00 EDT.
    assert spans[0][0] == utc(2024, 3, 1, 12)
    assert spans[-1][0] == utc(2024, 3, 31, 11)
    assert spans[-1][1] - spans[-1][0] == timedelta(hours=12)


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
