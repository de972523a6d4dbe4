"""The staff side: open alerts first with a map link and their timeline, answered through the services."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User
from emergencies.models import Emergency, EmergencyResponse, EmergencyStatus
from emergencies.services import escalation_step_run
from emergencies.tests.factories import Family, raise_sos, step
from guardiannest.realtime.tickets import ticket_redeem

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:emergencies_emergency_changelist"


def _act(client: Client, action: str, *emergencies: Emergency) -> None:
    data = {"action": action, "_selected_action": [str(e.pk) for e in emergencies], "index": "0", "select_across": "0"}
    assert client.post(reverse(CHANGELIST), data).status_code == 302


def test_the_admin_index_shows_how_many_alerts_nobody_has_answered(
    staff_client: Client, booked: Family, other_parent: User
) -> None:
    raise_sos(booked.sitter, booked.booking)
    raise_sos(other_parent)

    page = staff_client.get(reverse("admin:index"))

    assert page.status_code == 200
    assert re.search(
        rb'<div id="emergency-count" class="dashboard-panel errornote urgent" data-live="emergency">', page.content
    )
    assert re.search(
        rb'data-active-emergencies="2">2</strong>\s*<span class="dashboard-title">Active SOS alerts', page.content
    )
    assert b"emergencies/admin-live.js" in page.content
    assert b"<script>" not in page.content  # no inline script: the CSP allows only our own files


def test_the_list_puts_open_alerts_first_with_a_map_link(staff_client: Client, booked: Family, parent: User) -> None:
    older = raise_sos(booked.sitter, booked.booking)
    resolved = raise_sos(parent, device="device-2")
    _act(staff_client, "resolve", resolved)

    page = staff_client.get(reverse(CHANGELIST)).content.decode()

    assert page.index(str(older.pk)[:8]) < page.index(str(resolved.pk)[:8])
    assert "https://www.openstreetmap.org/?mlat=52.520008&amp;mlon=13.404954" in page


def test_an_alert_page_shows_its_timeline_read_only(staff_client: Client, booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    escalation_step_run(step_id=step(emergency, 0).pk)

    page = staff_client.get(reverse("admin:emergencies_emergency_change", args=[emergency.pk]))

    assert page.status_code == 200
    content = page.content.decode()
    assert "step 0 raised: sent" in content
    assert "step 0 · contacts #1 · sms · queued" in content
    staff_client.post(reverse("admin:emergencies_emergency_change", args=[emergency.pk]), {"status": "resolved"})
    emergency.refresh_from_db()
    assert emergency.status == EmergencyStatus.ACTIVE


def test_staff_acknowledge_and_resolve_through_the_services(staff_client: Client, booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)

    _act(staff_client, "acknowledge", emergency)
    emergency.refresh_from_db()
    assert emergency.status == EmergencyStatus.ACKNOWLEDGED
    assert emergency.acknowledged_by.email == "staff@guardiannest.demo"  # type: ignore[union-attr]

    _act(staff_client, "resolve", emergency)
    emergency.refresh_from_db()
    assert emergency.status == EmergencyStatus.RESOLVED and emergency.resolution_notes
    assert list(EmergencyResponse.objects.values_list("action", "actor_role")) == [
        ("acknowledged", "staff"),
        ("resolved", "staff"),
    ]


def test_the_page_gets_a_socket_ticket_for_its_staff_member_by_post_only(staff_client: Client) -> None:
    url = reverse("admin:emergencies_emergency_live_ticket")

    assert staff_client.get(url).status_code == 405
    response = staff_client.post(url)

    assert response.status_code == 201
    ticket = ticket_redeem(ticket=response.json()["ticket"])
    assert ticket is not None and ticket.user_id == str(User.objects.get(email="staff@guardiannest.demo").pk)
    cache.clear()


def test_the_ticket_is_for_staff_signed_in_to_the_admin_only(client: Client) -> None:
    response = client.post(reverse("admin:emergencies_emergency_live_ticket"))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_list_shows_each_alerts_kind_and_filters_by_it(staff_client: Client, booked: Family) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from bookings.tests.factories import moved
    from bookings.tests.tracking_helpers import confirmed_soon
    from bookings.tracking.services import safety_check_in_missed_alert_due

    sos = raise_sos(booked.sitter, booked.booking)
    moved(confirmed_soon(booked.world), starts_at=timezone.now() - timedelta(minutes=16))
    safety_check_in_missed_alert_due()
    missed = Emergency.objects.get(kind="missed_check_in")

    everything = staff_client.get(reverse(CHANGELIST)).content.decode()
    timers = staff_client.get(reverse(CHANGELIST), {"kind__exact": "missed_check_in"}).content.decode()
    page = staff_client.get(reverse("admin:emergencies_emergency_change", args=[missed.pk])).content.decode()

    assert str(sos.pk)[:8] in everything and str(missed.pk)[:8] in everything
    assert "Missed check-in" in everything and "?kind__exact=parent_overdue" in everything  # the filter
    assert str(missed.pk)[:8] in timers and str(sos.pk)[:8] not in timers
    assert "Missed check-in" in page and "platform" in page  # raised by the platform, in its timeline
