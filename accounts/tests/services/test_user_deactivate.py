"""Deactivation signs the person out everywhere: no refresh works, and it is audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from rest_framework.test import APIClient

from accounts.models import TOTPDevice, User, UserSession
from accounts.services.gdpr import user_deactivate
from accounts.tests.factories import StaffFactory
from accounts.tests.helpers import sign_in
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

REFRESH = "/api/v1/auth/token/refresh"


def test_deactivation_ends_every_session_and_refresh_fails(api: APIClient, parent: User, staff: User) -> None:
    _, phone = sign_in(parent, agent="phone")
    _, tablet = sign_in(parent, agent="tablet")

    assert user_deactivate(user=parent, actor=staff) is True

    parent.refresh_from_db()
    assert not parent.is_active
    sessions = UserSession.objects.filter(user=parent)
    assert sessions.count() == 2 and all(s.end_reason == "deactivated" and not s.active for s in sessions)
    for tokens in (phone, tablet):
        assert_problem(api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json"), 401)
    event = AuditEvent.objects.get(action="user.deactivated")
    assert event.actor_id == staff.pk and event.target_id == str(parent.pk) and event.data == {}


def test_deactivating_twice_changes_nothing(parent: User, staff: User) -> None:
    assert user_deactivate(user=parent, actor=staff) is True
    assert user_deactivate(user=parent, actor=staff) is False
    assert AuditEvent.objects.filter(action="user.deactivated").count() == 1


def test_other_users_keep_their_sessions(parent: User, other_parent: User, staff: User) -> None:
    sign_in(parent)
    sign_in(other_parent)

    user_deactivate(user=parent, actor=staff)

    assert UserSession.objects.filter(user=other_parent, ended_at__isnull=True).count() == 1


def test_the_admin_action_deactivates_through_the_service(api: APIClient, parent: User, other_parent: User) -> None:
    # given: an admin signed in with a one-time password, and a parent signed in on a phone
    admin = StaffFactory(email="admin@example.com", is_superuser=True)
    device = TOTPDevice.objects.create(user=admin, name="admin phone")
    browser = Client()
    browser.force_login(admin)
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    _, tokens = sign_in(parent)
    # when
    response = browser.post(
        "/admin/accounts/user/", {"action": "deactivate", "_selected_action": [str(parent.pk)]}, follow=True
    )
    # then
    assert response.status_code == 200
    assert "1 account(s) deactivated." in response.content.decode()
    parent.refresh_from_db()
    other_parent.refresh_from_db()
    assert not parent.is_active and other_parent.is_active
    assert_problem(api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json"), 401)
    assert AuditEvent.objects.get(action="user.deactivated").actor_id == admin.pk
