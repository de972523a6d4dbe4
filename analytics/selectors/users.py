"""People over time: who signed up, and who was active, per period.

- ``new_parents``, ``new_sitters``, ``new_users``: accounts that joined in the period (staff not counted);
- ``active_parents``, ``active_sitters``, ``active_users``: distinct people who moved a booking in the
  period (requested, answered, cancelled, checked in or out, confirmed hours: a ``bookings.BookingEvent``
  they made). Signing in alone is not activity: the platform keeps no history of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import Count, Q

from accounts.models import Role, User
from analytics.selectors.periods import Window, as_date
from bookings.models import BookingEvent
from guardiannest.dbrouters import replica_read


def signup_list(*, window: Window) -> list[dict[str, Any]]:
    """``{period, new_parents, new_sitters, new_users}`` for every period of ``window``, from one query."""
    rows = replica_read(
        lambda: list(
            User.objects.filter(
                date_joined__gte=window.start_at, date_joined__lt=window.end_at, role__in=(Role.PARENT, Role.SITTER)
            )
            .annotate(period=window.trunc("date_joined"))
            .values("period")
            .annotate(
                new_parents=Count("pk", filter=Q(role=Role.PARENT)),
                new_sitters=Count("pk", filter=Q(role=Role.SITTER)),
            )
            .order_by("period")
        )
    )
    found: dict[date, Mapping[str, Any]] = {as_date(row["period"]): row for row in rows}
    series = []
    for period in window.periods():
        row = found.get(period, {})
        parents, sitters = row.get("new_parents", 0), row.get("new_sitters", 0)
        series.append(
            {"period": period, "new_parents": parents, "new_sitters": sitters, "new_users": parents + sitters}
        )
    return series


def active_user_list(*, window: Window) -> list[dict[str, Any]]:
    """``{period, active_parents, active_sitters, active_users}`` for every period of ``window``, from one query."""
    rows = replica_read(
        lambda: list(
            BookingEvent.objects.filter(
                created_at__gte=window.start_at,
                created_at__lt=window.end_at,
                actor__role__in=(Role.PARENT, Role.SITTER),
            )
            .annotate(period=window.trunc("created_at"))
            .values("period")
            .annotate(
                active_parents=Count("actor", distinct=True, filter=Q(actor__role=Role.PARENT)),
                active_sitters=Count("actor", distinct=True, filter=Q(actor__role=Role.SITTER)),
            )
            .order_by("period")
        )
    )
    found: dict[date, Mapping[str, Any]] = {as_date(row["period"]): row for row in rows}
    series = []
    for period in window.periods():
        row = found.get(period, {})
        parents, sitters = row.get("active_parents", 0), row.get("active_sitters", 0)
        series.append(
            {"period": period, "active_parents": parents, "active_sitters": sitters, "active_users": parents + sitters}
        )
    return series
