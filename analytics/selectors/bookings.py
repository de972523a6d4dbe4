"""Bookings over time: the moves made in each period, how fast sitters answer, and when and where families book.

Counts are of moves (``bookings.BookingEvent``) made in the period, so a
period's figures never change once it is over:

- ``requested``: requests made; ``accepted``, ``declined``, ``expired``: answers (or none) to them;
- ``confirmed``: payments authorised after an accept; ``completed``: checked out (a dispute resolved
  back to completed is not counted again);
- ``cancelled``: held bookings (accepted or confirmed) cancelled by anyone; ``withdrawn``: requests
  cancelled before an answer, including the copies of a multi-sitter request another sitter took;
- ``cancellation_rate``: of the held bookings that ended in the period, the share cancelled rather
  than completed, in percent (null when none ended);
- ``response_median_seconds``, ``response_p90_seconds``: from a request to the sitter's accept or
  decline, for the answers given in the period (expiries are not answers).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, DecimalField, F, Q
from django.db.models.functions import Cast, Round

from analytics.selectors.expressions import LocalHour, LocalWeekday, PercentileCont
from analytics.selectors.periods import Window, as_date, percent
from bookings.models import Booking, BookingEvent, BookingStatus
from guardiannest.dbrouters import replica_read
from sitters.models import ReliabilityEvent, ReliabilityKind
from sitters.selectors.reliability import reliability_score

S = BookingStatus
MOVES: dict[str, Q] = {
    "requested": Q(from_status=""),
    "accepted": Q(from_status=S.REQUESTED, to_status=S.ACCEPTED),
    "declined": Q(from_status=S.REQUESTED, to_status=S.DECLINED),
    "expired": Q(from_status=S.REQUESTED, to_status=S.EXPIRED),
    "confirmed": Q(to_status=S.CONFIRMED),
    "completed": Q(from_status=S.IN_PROGRESS, to_status=S.COMPLETED),
    "cancelled": Q(from_status__in=(S.ACCEPTED, S.CONFIRMED), to_status=S.CANCELLED),
    "withdrawn": Q(from_status=S.REQUESTED, to_status=S.CANCELLED),
}
ANSWERED = Q(from_status=S.REQUESTED, to_status__in=(S.ACCEPTED, S.DECLINED))
# A sitter's area in the patterns: their search point (already fuzzed up to 500 m) to 1 decimal, about 11 km.
AREA_DECIMALS = 1
MAX_AREAS = 20


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 1)


def booking_figures_list(*, window: Window) -> list[dict[str, Any]]:
    """One row per period of ``window`` (periods without a move are zeros), from one query."""
    waited = F("created_at") - F("booking__created_at")
    rows = replica_read(
        lambda: list(
            BookingEvent.objects.filter(created_at__gte=window.start_at, created_at__lt=window.end_at)
            .annotate(period=window.trunc("created_at"))
            .values("period")
            .annotate(
                **{name: Count("pk", filter=move) for name, move in MOVES.items()},
                response_median=PercentileCont(waited, fraction=0.5, filter=ANSWERED),
                response_p90=PercentileCont(waited, fraction=0.9, filter=ANSWERED),
            )
            .order_by("period")
        )
    )
    found: dict[date, Mapping[str, Any]] = {as_date(row["period"]): row for row in rows}
    series = []
    for period in window.periods():
        row = found.get(period, {})
        counts = {name: row.get(name, 0) for name in MOVES}
        series.append(
            {
                "period": period,
                **counts,
                "cancellation_rate": percent(counts["cancelled"], counts["cancelled"] + counts["completed"]),
                "response_median_seconds": _seconds(row.get("response_median")),
                "response_p90_seconds": _seconds(row.get("response_p90")),
            }
        )
    return series


def reliability_list(*, window: Window) -> list[dict[str, Any]]:
    """Per period, the sitters' outcomes (``sitters.ReliabilityEvent``) and the platform's reliability score.

    The score is :func:`sitters.selectors.reliability.reliability_score` over the period's outcomes, the rule
    each sitter's public profile uses: the share of bookings that went ahead, a no-show weighing twice.
    """
    kinds = {
        "sitter_completed": ReliabilityKind.COMPLETED,
        "sitter_cancellations": ReliabilityKind.CANCELLED,
        "no_shows": ReliabilityKind.NO_SHOW,
    }
    rows = replica_read(
        lambda: list(
            ReliabilityEvent.objects.filter(occurred_at__gte=window.start_at, occurred_at__lt=window.end_at)
            .annotate(period=window.trunc("occurred_at"))
            .values("period")
            .annotate(**{name: Count("pk", filter=Q(kind=kind)) for name, kind in kinds.items()})
            .order_by("period")
        )
    )
    found: dict[date, Mapping[str, Any]] = {as_date(row["period"]): row for row in rows}
    series = []
    for period in window.periods():
        row = found.get(period, {})
        counts = {name: row.get(name, 0) for name in kinds}
        score = reliability_score(
            completed=counts["sitter_completed"],
            cancellations=counts["sitter_cancellations"],
            no_shows=counts["no_shows"],
        )
        series.append({"period": period, **counts, "reliability_score": score})
    return series


def booking_patterns_get(*, window: Window) -> dict[str, list[dict[str, int]]]:
    """When families want a sitter: the requests made in the window by the hour and weekday they start.

    Hours and weekdays are on the sitter's wall clock (the booking's time zone), from one query grouped by
    (weekday, hour); ``by_weekday_hour`` has every one of the 168 cells, ``by_hour`` and ``by_weekday`` sum them.
    """
    cells = replica_read(
        lambda: list(
            Booking.objects.filter(created_at__gte=window.start_at, created_at__lt=window.end_at)
            .annotate(weekday=LocalWeekday("starts_at", "timezone"), hour=LocalHour("starts_at", "timezone"))
            .values("weekday", "hour")
            .annotate(requested=Count("pk"))
            .order_by()
        )
    )
    grid = {(cell["weekday"], cell["hour"]): cell["requested"] for cell in cells}
    return {
        "by_weekday_hour": [
            {"weekday": day, "hour": hour, "requested": grid.get((day, hour), 0)}
            for day in range(7)
            for hour in range(24)
        ],
        "by_hour": [
            {"hour": hour, "requested": sum(grid.get((day, hour), 0) for day in range(7))} for hour in range(24)
        ],
        "by_weekday": [
            {"weekday": day, "requested": sum(grid.get((day, hour), 0) for hour in range(24))} for day in range(7)
        ],
    }


def booking_area_list(*, window: Window, limit: int = MAX_AREAS) -> list[dict[str, Any]]:
    """Where families book: requests made in the window by the sitter's area, busiest first (at most ``limit``).

    An area is the sitter's search point (fuzzed by the sitters app) rounded to AREA_DECIMALS decimals, about
    11 km: coarse enough to name no home. A sitter without a location counts under a null area.
    """
    point = DecimalField(max_digits=9, decimal_places=6)
    profile = "sitter__sitter_profile__"
    rows = replica_read(
        lambda: list(
            Booking.objects.filter(created_at__gte=window.start_at, created_at__lt=window.end_at)
            .annotate(
                area_latitude=Round(Cast(f"{profile}search_latitude", point), AREA_DECIMALS),
                area_longitude=Round(Cast(f"{profile}search_longitude", point), AREA_DECIMALS),
            )
            .values("area_latitude", "area_longitude")
            .annotate(requested=Count("pk"))
            .order_by("-requested", "area_latitude", "area_longitude")[:limit]
        )
    )
    areas = []
    for row in rows:
        latitude, longitude = row["area_latitude"], row["area_longitude"]
        known = latitude is not None and longitude is not None
        areas.append(
            {
                "area": f"{float(latitude):.{AREA_DECIMALS}f},{float(longitude):.{AREA_DECIMALS}f}" if known else None,
                "latitude": float(latitude) if known else None,
                "longitude": float(longitude) if known else None,
                "requested": row["requested"],
            }
        )
    return areas
