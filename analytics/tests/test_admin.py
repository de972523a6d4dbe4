"""The Analytics admin page: the figures of the last 12 weeks, for staff with analytics.view_analytics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from analytics.admin import last_weeks
from analytics.tests.factories import S, booking, parent, sitter

URL = "/admin/analytics/analytics/"


def test_last_weeks_is_twelve_weeks_from_a_monday() -> None:
    window = last_weeks(today=datetime(2026, 3, 12, tzinfo=UTC).date())

    assert (window.start.isoformat(), window.end.isoformat()) == ("2025-12-22", "2026-03-13")
    assert len(window.periods()) == 12


def test_the_page_shows_this_weeks_figures(staff_client: Client, db: Any) -> None:
    # given: a request answered this week
    now = datetime.now(UTC)
    booking(parent(now), sitter(now), requested_at=now - timedelta(minutes=5), moves=((S.ACCEPTED, now),))

    response = staff_client.get(URL)

    assert response.status_code == 200
    rows = response.context["bookings"]
    assert len(rows) == 12
    # (the demo data may hold bookings of its own this week)
    assert rows[-1]["requested"] >= 1 and rows[-1]["accepted"] >= 1
    assert rows[-1]["response_median_seconds"] is not None
    assert len(response.context["users"]) == 12 and len(response.context["retention"]) == 12
    html = response.content.decode()
    assert 'id="analytics-bookings"' in html and 'id="analytics-revenue"' in html


def test_listed_on_the_admin_index(staff_client: Client) -> None:
    assert URL in staff_client.get("/admin/").content.decode()


def test_staff_without_the_permission_are_refused(staff_client: Client) -> None:
    staff = User.objects.get(email="staff@guardiannest.demo")
    if staff.is_superuser:
        User.objects.filter(pk=staff.pk).update(is_superuser=False)
    staff.user_permissions.remove(*Permission.objects.filter(codename="view_analytics"))

    assert staff_client.get(URL).status_code == 403
    assert URL not in staff_client.get("/admin/").content.decode()

    staff.user_permissions.add(Permission.objects.get(codename="view_analytics", content_type__app_label="analytics"))
    assert staff_client.get(URL).status_code == 200
