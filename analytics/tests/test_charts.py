"""The four dashboard charts: registered when the app loads, and their points are the API's figures."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.tests.conftest import History
from guardiannest.registries import dashboard_charts

KEYS = {
    "analytics.bookings_per_day": ("Bookings per day", "day", "count"),
    "analytics.revenue_per_week": ("Revenue per week", "week", "EUR"),
    "analytics.new_users_per_day": ("New users per day", "day", "count"),
    "analytics.cancellation_rate_per_week": ("Cancellation rate per week", "week", "%"),
}


def _points(key: str, start: date, end: date) -> list[tuple[date, float]]:
    chart = dashboard_charts.get(key)
    assert chart is not None
    with CaptureQueriesContext(connection) as captured:
        points = chart["points"](start, end)
    assert len(captured) == 1, f"{key}: one query"
    return points


def test_registered_with_their_interval_unit_and_permission() -> None:
    for key, (title, interval, unit) in KEYS.items():
        chart = dashboard_charts.get(key)
        assert chart is not None, key
        assert (chart["title"], chart["interval"], chart["unit"]) == (title, interval, unit)
        assert chart["permission"] == "analytics.view_analytics"
    assert len({dashboard_charts.get(key)["order"] for key in KEYS}) == 4  # type: ignore[index]


def test_bookings_per_day(history: History) -> None:
    points = _points("analytics.bookings_per_day", date(2026, 3, 8), date(2026, 3, 13))

    assert points == [
        (date(2026, 3, 8), 0.0),
        (date(2026, 3, 9), 1.0),
        (date(2026, 3, 10), 1.0),
        (date(2026, 3, 11), 1.0),
        (date(2026, 3, 12), 1.0),
    ]


def test_revenue_per_week_in_cents_of_the_platform_currency(history: History) -> None:
    points = _points("analytics.revenue_per_week", date(2026, 3, 2), date(2026, 3, 16))

    # Net of the platform currency only (the dollars stay out): 50.00, then 50.00 captured less 20.00 refunded,
    # in cents as every currency chart gives them (the page shows "50.00 EUR").
    assert points == [(date(2026, 3, 2), 5000.0), (date(2026, 3, 9), 3000.0)]


def test_new_users_per_day(history: History) -> None:
    points = _points("analytics.new_users_per_day", date(2026, 3, 1), date(2026, 3, 5))

    assert points == [
        (date(2026, 3, 1), 0.0),
        (date(2026, 3, 2), 2.0),
        (date(2026, 3, 3), 1.0),
        (date(2026, 3, 4), 0.0),
    ]


def test_cancellation_rate_per_week(history: History) -> None:
    points = _points("analytics.cancellation_rate_per_week", date(2026, 3, 2), date(2026, 3, 23))

    assert points == [(date(2026, 3, 2), 50.0), (date(2026, 3, 9), 0.0), (date(2026, 3, 16), 0.0)]
