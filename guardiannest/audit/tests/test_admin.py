"""The back office shows the log and offers no way to add, change or delete an event."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import TOTPDevice
from accounts.tests.factories import StaffFactory
from guardiannest.audit.models import AuditEvent
from guardiannest.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    """A superuser whose session passed the one-time-password step the admin site requires."""
    superuser = StaffFactory(is_superuser=True)
    device = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    client = Client()
    client.force_login(superuser)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def event() -> AuditEvent:
    return audit_record(
        action="user.updated",
        target_type="accounts.user",
        target_id="target-1",
        request_id="req-admin-1",
        data={"fields": ["phone"]},
    )


def test_the_changelist_renders_and_searches_by_request_id(admin_client: Client, event: AuditEvent) -> None:
    audit_record(action="auth.login_failed", request_id="req-admin-2")
    url = reverse("admin:audit_auditevent_changelist")
    everything = admin_client.get(url)
    assert everything.status_code == 200
    assert b"req-admin-1" in everything.content
    assert b"req-admin-2" in everything.content
    found = admin_client.get(url, {"q": "req-admin-1"})
    assert found.status_code == 200
    assert [e.pk for e in found.context["cl"].result_list] == [event.pk]
    assert b"req-admin-2" not in found.content


def test_the_changelist_filters_by_action_and_date(admin_client: Client, event: AuditEvent) -> None:
    url = reverse("admin:audit_auditevent_changelist")
    failed = audit_record(action="auth.login_failed")
    response = admin_client.get(url, {"action": "auth.login_failed", "created_at__gte": "2000-01-01 00:00:00+00:00"})
    assert response.status_code == 200
    assert [e.pk for e in response.context["cl"].result_list] == [failed.pk]
    future = admin_client.get(url, {"created_at__gte": "2999-01-01 00:00:00+00:00"})
    assert list(future.context["cl"].result_list) == []


def test_an_event_shows_read_only(admin_client: Client, event: AuditEvent) -> None:
    response = admin_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert response.status_code == 200
    assert event.hash.encode() in response.content
    assert b"&quot;phone&quot;" in response.content
    assert b'name="_save"' not in response.content


def test_add_is_refused(admin_client: Client) -> None:
    response = admin_client.post(reverse("admin:audit_auditevent_add"), {"action": "test.forged"})
    assert response.status_code == 403
    assert not AuditEvent.objects.exists()


def test_change_is_refused(admin_client: Client, event: AuditEvent) -> None:
    response = admin_client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "test.forged"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "user.updated"


def test_delete_is_refused(admin_client: Client, event: AuditEvent) -> None:
    response = admin_client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_staff_without_the_view_permission_cannot_read_the_log(event: AuditEvent) -> None:
    staff = StaffFactory()
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client()
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403
