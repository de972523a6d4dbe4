"""The admin changes who an account is only through audited services (issue 11, item 9).

Before, role, is_active, is_staff, is_superuser and email were plain fields of
the user's admin page: anyone with the change permission could make a parent
a superuser and no audit event said so.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import Role, TOTPDevice, User
from accounts.tests.factories import ParentFactory, StaffFactory
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _admin_browser(*, superuser: bool) -> tuple[Client, User]:
    """A staff member signed in to the admin with a verified one-time password."""
    admin = StaffFactory(email="admin@example.com", is_superuser=superuser)
    device = TOTPDevice.objects.create(user=admin, name="admin phone")
    browser = Client()
    browser.force_login(admin)
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return browser, admin


def test_the_change_form_cannot_touch_role_access_or_email(parent: User) -> None:
    browser, _ = _admin_browser(superuser=True)
    attack = {
        "email": "attacker@example.com",
        "role": Role.STAFF,
        "is_staff": "on",
        "is_superuser": "on",
        "first_name": "Renamed",
        "last_name": parent.last_name,
        "phone": "",
    }

    response = browser.post(f"/admin/accounts/user/{parent.pk}/change/", attack)

    assert response.status_code == 302, response.content[:2000]
    parent.refresh_from_db()
    assert parent.first_name == "Renamed"
    assert (parent.email, parent.role, parent.is_staff, parent.is_superuser, parent.is_active) == (
        "parent@example.com",
        Role.PARENT,
        False,
        False,
        True,
    )


def test_the_actions_change_role_and_grant_staff_through_audited_services(parent: User) -> None:
    browser, admin = _admin_browser(superuser=True)
    other = ParentFactory()

    for action, target in (("make_sitter", parent), ("grant_staff", other)):
        response = browser.post(
            "/admin/accounts/user/", {"action": action, "_selected_action": [str(target.pk)]}, follow=True
        )
        assert response.status_code == 200

    parent.refresh_from_db()
    other.refresh_from_db()
    assert parent.role == Role.SITTER and (other.role, other.is_staff) == (Role.STAFF, True)
    changed = AuditEvent.objects.get(action="user.role_changed")
    assert (changed.actor_id, changed.target_id, changed.data) == (
        admin.pk,
        str(parent.pk),
        {"from": "parent", "to": "sitter"},
    )
    assert AuditEvent.objects.get(action="user.staff_granted").target_id == str(other.pk)


def test_only_a_superuser_grants_staff(parent: User) -> None:
    browser, _ = _admin_browser(superuser=False)
    User.objects.get(email="admin@example.com").user_permissions.add(
        *Permission.objects.filter(codename__in=["change_user", "view_user"])
    )

    browser.post("/admin/accounts/user/", {"action": "grant_staff", "_selected_action": [str(parent.pk)]}, follow=True)

    parent.refresh_from_db()
    assert (parent.role, parent.is_staff) == (Role.PARENT, False)
    assert not AuditEvent.objects.filter(action="user.staff_granted").exists()
