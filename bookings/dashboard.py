"""What bookings put on the admin home: today's bookings, and the hours disputes staff must resolve."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from bookings.models import BookingStatus
from bookings.selectors import SCHEDULED, booking_disputed_count, booking_scheduled_count
from guardiannest.dashboard import day_bounds
from guardiannest.registries import DashboardPanel, dashboard_panels


def bookings_today() -> int:
    start, end = day_bounds(timezone.localdate())
    return booking_scheduled_count(start=start, end=end)


def _today_url() -> str:
    start, end = day_bounds(timezone.localdate())
    query = {
        "starts_at__gte": start.isoformat(),
        "starts_at__lt": end.isoformat(),
        "status__in": ",".join(SCHEDULED),
    }
    return f"{reverse('admin:bookings_booking_changelist')}?{urlencode(query)}"


def _disputed_url() -> str:
    return f"{reverse('admin:bookings_booking_changelist')}?status__exact={BookingStatus.DISPUTED}"


HOURS_DISPUTES: DashboardPanel = {
    "title": "Hours disputes to resolve",
    "order": 30,
    "count": booking_disputed_count,
    "url": _disputed_url,
    "permission": "bookings.view_booking",
    "urgent": False,
}
BOOKINGS_TODAY: DashboardPanel = {
    "title": "Bookings today",
    "order": 50,
    "count": bookings_today,
    "url": _today_url,
    "permission": "bookings.view_booking",
    "urgent": False,
}


def dashboard_register() -> None:
    dashboard_panels.register("hours-disputes", HOURS_DISPUTES)
    dashboard_panels.register("bookings-today", BOOKINGS_TODAY)
