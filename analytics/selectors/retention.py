"""Do families come back? Signup cohorts of parents, and the share of each that books in each later period.

A cohort is the parents who joined in one period of the window (a month, or a week with ``interval=week``).
For each period from the cohort's own to the window's last, ``retained`` is how many of them requested a
booking in that period and ``share`` that count in percent of the cohort. ``churned`` counts the members who
joined at least CHURN_DAYS before the window's end and requested no booking in the CHURN_DAYS before it;
``churn_rate`` is their share of those members (null while none is that old).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from accounts.models import Role, User
from analytics.errors import AnalyticsError
from analytics.selectors.periods import Interval, Window, as_date, percent
from bookings.models import Booking
from guardiannest.dbrouters import replica_read
from guardiannest.errors import invalid

CHURN_DAYS = 60
COHORT_INTERVALS = (Interval.WEEK, Interval.MONTH)


def retention_list(*, window: Window) -> list[dict[str, Any]]:
    """One row per cohort (every period of the window, empty ones too), from two queries."""
    if window.interval not in COHORT_INTERVALS:
        raise invalid("interval", "Cohorts are weeks or months.", AnalyticsError.INVALID_PERIOD)
    quiet_since = window.end_at - timedelta(days=CHURN_DAYS)
    recent = Booking.objects.filter(parent=OuterRef("pk"), created_at__gte=quiet_since, created_at__lt=window.end_at)
    old_enough = Q(date_joined__lt=quiet_since)

    def read() -> tuple[list[Any], list[Any]]:
        cohorts = list(
            User.objects.filter(role=Role.PARENT, date_joined__gte=window.start_at, date_joined__lt=window.end_at)
            .annotate(cohort=window.trunc("date_joined"))
            .values("cohort")
            .annotate(
                size=Count("pk"),
                churn_base=Count("pk", filter=old_enough),
                churned=Count("pk", filter=old_enough & Q(~Exists(recent))),
            )
            .order_by("cohort")
        )
        cells = list(
            Booking.objects.filter(
                parent__role=Role.PARENT,
                parent__date_joined__gte=window.start_at,
                parent__date_joined__lt=window.end_at,
                created_at__gte=window.start_at,
                created_at__lt=window.end_at,
            )
            .annotate(cohort=window.trunc("parent__date_joined"), period=window.trunc("created_at"))
            .values("cohort", "period")
            .annotate(retained=Count("parent", distinct=True))
            .order_by()
        )
        return cohorts, cells

    cohorts, cells = replica_read(read)
    sizes: dict[date, Mapping[str, Any]] = {as_date(row["cohort"]): row for row in cohorts}
    retained = {(as_date(cell["cohort"]), as_date(cell["period"])): cell["retained"] for cell in cells}
    periods = window.periods()
    series = []
    for index, cohort in enumerate(periods):
        row = sizes.get(cohort, {})
        size = row.get("size", 0)
        series.append(
            {
                "period": cohort,
                "cohort_size": size,
                "retention": [
                    {
                        "offset": offset,
                        "period": later,
                        "retained": retained.get((cohort, later), 0),
                        "share": percent(retained.get((cohort, later), 0), size),
                    }
                    for offset, later in enumerate(periods[index:])
                ],
                "churned": row.get("churned", 0),
                "churn_rate": percent(row.get("churned", 0), row.get("churn_base", 0)),
            }
        )
    return series
