"""Booking figures, reliability, patterns and areas of the constructed March history, exactly."""

from __future__ import annotations

from datetime import date
from typing import Any

from analytics.selectors.bookings import booking_area_list, booking_figures_list, booking_patterns_get, reliability_list
from analytics.selectors.periods import Interval
from analytics.tests.conftest import History, march

ZERO = dict.fromkeys(
    ("requested", "accepted", "declined", "expired", "confirmed", "completed", "cancelled", "withdrawn"), 0
)


def _figures(**counts: Any) -> dict[str, Any]:
    return {**ZERO, **counts}


def test_weekly_figures(history: History) -> None:
    rows = booking_figures_list(window=march(Interval.WEEK))

    assert rows == [
        {
            "period": date(2026, 3, 2),
            **_figures(requested=2, accepted=2, confirmed=2, completed=1, cancelled=1),
            "cancellation_rate": 50.0,
            "response_median_seconds": 2100.0,  # 600 and 3600
            "response_p90_seconds": 3300.0,
        },
        {
            "period": date(2026, 3, 9),
            **_figures(requested=4, accepted=1, declined=1, expired=1, confirmed=1, completed=1, withdrawn=1),
            "cancellation_rate": 0.0,
            "response_median_seconds": 4500.0,  # 1800 and 7200
            "response_p90_seconds": 6660.0,
        },
    ]


def test_monthly_figures_count_only_the_window(history: History) -> None:
    rows = booking_figures_list(window=march(Interval.MONTH))

    assert rows == [
        {
            "period": date(2026, 3, 1),  # the month starts before the window; 1 March's request is not counted
            **_figures(
                requested=6, accepted=3, declined=1, expired=1, confirmed=3, completed=2, cancelled=1, withdrawn=1
            ),
            "cancellation_rate": 33.3,
            "response_median_seconds": 2700.0,  # 600, 1800, 3600, 7200
            "response_p90_seconds": 6120.0,
        }
    ]


def test_daily_figures_have_every_day(history: History) -> None:
    rows = booking_figures_list(window=march(Interval.DAY))

    assert [row["period"] for row in rows] == [date(2026, 3, day) for day in range(2, 16)]
    by_day = {row["period"].day: row for row in rows}
    assert {day: row["requested"] for day, row in by_day.items() if row["requested"]} == {
        2: 1,
        3: 1,
        9: 1,
        10: 1,
        11: 1,
        12: 1,
    }
    assert by_day[4]["cancelled"] == 1
    assert by_day[4]["cancellation_rate"] == 100.0
    assert by_day[5]["cancellation_rate"] is None  # nothing ended
    assert by_day[10]["response_median_seconds"] == 1800.0
    assert by_day[12] | {"period": None} == {
        "period": None,
        **_figures(requested=1, expired=1, withdrawn=1),
        "cancellation_rate": None,
        "response_median_seconds": None,
        "response_p90_seconds": None,
    }


def test_reliability_per_week_uses_the_profiles_rule(history: History) -> None:
    rows = reliability_list(window=march(Interval.WEEK))

    assert rows == [
        {
            "period": date(2026, 3, 2),
            "sitter_completed": 1,
            "sitter_cancellations": 1,
            "no_shows": 0,
            "reliability_score": 50,
        },
        # 1 completed against a no-show weighing 2: 1/3.
        {
            "period": date(2026, 3, 9),
            "sitter_completed": 1,
            "sitter_cancellations": 0,
            "no_shows": 1,
            "reliability_score": 33,
        },
    ]


def test_patterns_on_the_sitters_wall_clock(history: History) -> None:
    patterns = booking_patterns_get(window=march(Interval.WEEK))

    assert [(row["weekday"], row["requested"]) for row in patterns["by_weekday"]] == [
        (0, 0),
        (1, 0),
        (2, 1),  # New York, Wednesday 06:00
        (3, 0),
        (4, 2),
        (5, 3),
        (6, 0),
    ]
    assert {row["hour"]: row["requested"] for row in patterns["by_hour"] if row["requested"]} == {
        6: 1,
        9: 1,
        10: 1,
        11: 1,
        18: 1,
        19: 1,
    }
    assert len(patterns["by_weekday_hour"]) == 168
    cells = {(row["weekday"], row["hour"]): row["requested"] for row in patterns["by_weekday_hour"] if row["requested"]}
    assert cells == {(2, 6): 1, (4, 18): 1, (4, 19): 1, (5, 9): 1, (5, 10): 1, (5, 11): 1}


def test_areas_busiest_first(history: History) -> None:
    assert booking_area_list(window=march(Interval.WEEK)) == [
        {"area": "52.5,13.4", "latitude": 52.5, "longitude": 13.4, "requested": 4},
        {"area": "48.1,11.6", "latitude": 48.1, "longitude": 11.6, "requested": 2},
    ]
    assert len(booking_area_list(window=march(Interval.WEEK), limit=1)) == 1
