"""What emergencies put on the admin home: the SOS alerts nobody has answered yet, live."""

from __future__ import annotations

from django.urls import reverse

from emergencies.models import EmergencyStatus
from emergencies.selectors import emergency_active_count
from guardiannest.registries import DashboardPanel, dashboard_panels


def _active_url() -> str:
    return f"{reverse('admin:emergencies_emergency_changelist')}?status__exact={EmergencyStatus.ACTIVE}"


def _live_script_data() -> dict[str, str]:
    return {
        "ticket-url": reverse("admin:emergencies_emergency_live_ticket"),
        "count-url": reverse("admin:emergencies_emergency_live_count"),
    }


# #emergency-count and its data-active-emergencies attribute are what the browser tests and
# admin-live.js know of the page: keep the key and the attribute.
ACTIVE_SOS: DashboardPanel = {
    "title": "Active SOS alerts, nobody has acknowledged",
    "order": 0,
    "count": emergency_active_count,
    "url": _active_url,
    "permission": "emergencies.view_emergency",
    "urgent": True,
    "live": "emergency",
    "attribute": "active-emergencies",
    "script": "emergencies/admin-live.js",
    "script_data": _live_script_data,
}


def dashboard_register() -> None:
    dashboard_panels.register("emergency", ACTIVE_SOS)
