"""The back office's Analytics page: the API's figures as tables, the last 12 weeks, week by week.

"Analytics" sits in the admin's app list through the permission-only model
:class:`~analytics.models.Analytics`; its page is this admin's changelist.
Staff need ``analytics.view_analytics`` (superusers have it). Nothing here writes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse

from analytics.models import Analytics
from analytics.selectors.bookings import booking_figures_list, reliability_list
from analytics.selectors.periods import Interval, Window, period_start
from analytics.selectors.retention import retention_list
from analytics.selectors.revenue import revenue_list
from analytics.selectors.users import active_user_list, signup_list
from guardiannest.admin import ReadOnlyAdmin

WEEKS = 12


def last_weeks(*, weeks: int = WEEKS, today: Any = None) -> Window:
    """The current week and the ``weeks - 1`` before it, through today (UTC)."""
    today = today or datetime.now(UTC).date()
    start = period_start(today, Interval.WEEK) - timedelta(weeks=weeks - 1)
    return Window(start=start, end=today + timedelta(days=1), interval=Interval.WEEK)


def _rows(*series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for row in rows for key, value in row.items()} for rows in zip(*series, strict=True)]


@admin.register(Analytics)
class AnalyticsAdmin(ReadOnlyAdmin):
    """The model's view permission is ``analytics.view_analytics`` (its codename is Django's own ``view_<model>``)."""

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        window = last_weeks()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Analytics: the last {WEEKS} weeks",
            "opts": self.model._meta,
            "window": window,
            "bookings": _rows(booking_figures_list(window=window), reliability_list(window=window)),
            "revenue": revenue_list(window=window),
            "users": _rows(signup_list(window=window), active_user_list(window=window)),
            "retention": retention_list(window=window),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/analytics/analytics.html", context)
