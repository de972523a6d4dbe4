"""The staff side: open alerts first with a map link and their timeline, answered through the services."""

from __future__ import annotations

import re
import uuid
from typing import cast

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User
from emergencies.admin import RESOLVED_FROM_ADMIN
from emergencies.models import Emergency, EmergencyResponse, EmergencyStatus
from emergencies.services import escalation_step_run
from emergencies.tests.factories import Family, raise_sos, step
from guardiannest.audit.models import AuditEvent
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


# --- the live list: its buttons, its count, what its script reads -----------------------------------


def _staff_signed_in(*permissions: str) -> Client:
    """A staff member (no superuser) holding only ``permissions``, signed in to the admin with a code."""
    from base64 import b32decode

    from django.contrib.auth.models import Permission
    from django_otp.oath import totp

    from accounts.services.mfa import mfa_totp_enrol_by_operator
    from accounts.tests.factories import PASSWORD, StaffFactory

    user = cast(User, StaffFactory())
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    secret = mfa_totp_enrol_by_operator(user=user).secret
    key = b32decode(secret + "=" * (-len(secret) % 8))
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": user.email, "password": PASSWORD, "otp_token": f"{totp(key):06d}"}
    )
    assert response.status_code == 302, response.content[:500]
    return client


JSON = {"Accept": "application/json"}
VIEW, CHANGE = "emergencies.view_emergency", "emergencies.change_emergency"


def test_a_rows_buttons_acknowledge_then_resolve_through_the_services(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    client = _staff_signed_in(VIEW, CHANGE)
    acknowledge = reverse("admin:emergencies_emergency_acknowledge", args=[emergency.pk])
    resolve = reverse("admin:emergencies_emergency_resolve", args=[emergency.pk])

    assert client.get(acknowledge).status_code == 405
    answered = client.post(acknowledge, headers=JSON)

    assert answered.status_code == 200
    assert answered.json()["id"] == str(emergency.pk) and answered.json()["status"] == "acknowledged"
    emergency.refresh_from_db()
    assert emergency.status == EmergencyStatus.ACKNOWLEDGED and emergency.acknowledged_by is not None
    assert AuditEvent.objects.filter(action="emergency.acknowledged", target_id=str(emergency.pk)).count() == 1

    resolved = client.post(resolve, headers=JSON)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    emergency.refresh_from_db()
    assert (emergency.status, emergency.resolution_notes) == (EmergencyStatus.RESOLVED, RESOLVED_FROM_ADMIN)
    assert client.get(reverse("admin:emergencies_emergency_live_count")).json() == {"active": 0}


def test_an_answer_without_the_csrf_token_is_refused(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    client = _staff_signed_in(VIEW, CHANGE)
    client.handler.enforce_csrf_checks = True  # as a browser is held to it

    response = client.post(reverse("admin:emergencies_emergency_acknowledge", args=[emergency.pk]), headers=JSON)

    assert response.status_code == 403
    emergency.refresh_from_db()
    assert emergency.status == EmergencyStatus.ACTIVE


def test_a_plain_form_post_of_an_answer_goes_back_to_the_list_with_a_message(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    client = _staff_signed_in(VIEW, CHANGE)

    response = client.post(reverse("admin:emergencies_emergency_acknowledge", args=[emergency.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse(CHANGELIST)
    assert f"Acknowledged: SOS {str(emergency.pk)[:8]} (acknowledged)." in response.content.decode()


def test_staff_who_may_only_read_alerts_get_no_buttons_and_a_403(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    client = _staff_signed_in(VIEW)

    page = client.get(reverse(CHANGELIST)).content.decode()
    refused = client.post(reverse("admin:emergencies_emergency_resolve", args=[emergency.pk]), headers=JSON)

    assert "emergency-answer" not in page and 'data-can-respond=""' in page
    assert refused.status_code == 403
    emergency.refresh_from_db()
    assert emergency.status == EmergencyStatus.ACTIVE
    assert client.get(reverse("admin:emergencies_emergency_live_count")).json() == {"active": 1}


def test_staff_without_the_alerts_get_403_from_the_live_endpoints(booked: Family) -> None:
    raise_sos(booked.sitter, booked.booking)
    client = _staff_signed_in("payments.view_payment")

    assert client.post(reverse("admin:emergencies_emergency_live_ticket")).status_code == 403
    assert client.get(reverse("admin:emergencies_emergency_live_count")).status_code == 403


def test_an_answer_to_a_missing_alert_is_404_and_anonymous_is_sent_to_login(client: Client) -> None:
    missing = reverse("admin:emergencies_emergency_acknowledge", args=[uuid.uuid4()])

    anonymous = client.post(missing, headers=JSON)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    response = _staff_signed_in(VIEW, CHANGE).post(missing, headers=JSON)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_list_gives_its_script_its_settings_and_escapes_messages(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    # The services keep markup out of messages (guardiannest.text.clean_text); a row from elsewhere may hold some.
    emergency.message = '<img src=x onerror="alert(1)">'
    emergency.save(update_fields=["message"])
    client = _staff_signed_in(VIEW, CHANGE)

    page = client.get(reverse(CHANGELIST), {"status__exact": "active"}).content.decode()
    other = client.get(reverse(CHANGELIST), {"q": "nobody"}).content.decode()

    assert 'data-status-filter="active"' in page and 'data-adds-rows="1"' in page and 'data-active-count="1"' in page
    assert f'data-emergency-id="{emergency.pk}"' in page
    assert f'data-url="/admin/emergencies/emergency/{emergency.pk}/acknowledge/"' in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page and "<img src=x" not in page
    assert 'data-adds-rows=""' in other and 'id="result_list"' in other  # an empty page still has its table
    assert "<script>" not in page


def test_an_alert_page_has_its_answer_buttons_for_staff_who_may_answer(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    change = reverse("admin:emergencies_emergency_change", args=[emergency.pk])

    answering = _staff_signed_in(VIEW, CHANGE).get(change).content.decode()
    reading = _staff_signed_in(VIEW).get(change).content.decode()

    assert f'data-url="/admin/emergencies/emergency/{emergency.pk}/acknowledge/" data-answer="acknowledge"' in answering
    assert f'data-url="/admin/emergencies/emergency/{emergency.pk}/resolve/" data-answer="resolve"' in answering
    assert "emergency-answer" not in reading and "step 0" in reading  # the timeline, read-only
