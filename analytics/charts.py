"""The four charts analytics puts on the admin home (``guardiannest.registries.dashboard_charts``).

Each ``points(start, end)`` answers one point per period of ``[start, end)`` (dates; a week starts on the
Monday on or before ``start``), periods without activity included, from one query of the selector the
API uses for the same figure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings

from analytics.selectors.bookings import booking_figures_list
from analytics.selectors.periods import Interval, Window
from analytics.selectors.revenue import revenue_list
from analytics.selectors.users import signup_list
from guardiannest.registries import DashboardChart, dashboard_charts

PERMISSION = "analytics.view_analytics"
Points = list[tuple[Any, float]]


def bookings_per_day(start: date, end: date) -> Points:
    """Requests made each day."""
    rows = booking_figures_list(window=Window(start, end, Interval.DAY))
    return [(row["period"], float(row["requested"])) for row in rows]


def revenue_per_week(start: date, end: date) -> Points:
    """Net revenue (captured less refunded) each week, in minor units (cents) of the platform currency, as
    every currency chart gives them (``guardiannest.charts.value_text`` shows them as money)."""
    rows = revenue_list(window=Window(start, end, Interval.WEEK), currency=settings.PLATFORM_CURRENCY)
    return [(row["period"], float(row["net"])) for row in rows]


def new_users_per_day(start: date, end: date) -> Points:
    """Parents and sitters who joined each day."""
    rows = signup_list(window=Window(start, end, Interval.DAY))
    return [(row["period"], float(row["new_users"])) for row in rows]


def cancellation_rate_per_week(start: date, end: date) -> Points:
    """Of the held bookings that ended each week, the percentage cancelled (0 for a week where none ended)."""
    rows = booking_figures_list(window=Window(start, end, Interval.WEEK))
    return [(row["period"], float(row["cancellation_rate"] or 0)) for row in rows]


def _chart(title: str, order: int, interval: str, unit: str, points: Callable[[Any, Any], Points]) -> DashboardChart:
    return {
        "title": title,
        "order": order,
        "interval": interval,
        "unit": unit,
        "points": points,
        "permission": PERMISSION,
    }


CHARTS: dict[str, DashboardChart] = {
    "analytics.bookings_per_day": _chart("Bookings per day", 10, "day", "count", bookings_per_day),
    "analytics.revenue_per_week": _chart(
        "Revenue per week", 20, "week", settings.PLATFORM_CURRENCY.upper(), revenue_per_week
    ),
    "analytics.new_users_per_day": _chart("New users per day", 30, "day", "count", new_users_per_day),
    "analytics.cancellation_rate_per_week": _chart(
        "Cancellation rate per week", 40, "week", "%", cancellation_rate_per_week
    ),
}


def register_charts() -> None:
    for key, chart in CHARTS.items():
        dashboard_charts.register(key, chart)
