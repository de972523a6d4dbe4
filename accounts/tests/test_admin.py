"""The admin shows family rows (of the demo data) but never their encrypted details."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Child, EmergencyContact, ParentProfile, User
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SECRETS = ["EpiPen", "Peanuts", "Asthma", "Torstrasse", "Kastanienallee", "+4930901820", "Greta", "Lucia"]


@pytest.mark.parametrize("model", [Child, EmergencyContact, ParentProfile])
def test_the_admin_never_shows_decrypted_details(staff_client: Client, model: type) -> None:
    base = f"/admin/accounts/{model._meta.model_name}/"
    pages = [base, *(f"{base}{pk}/change/" for pk in model.objects.values_list("pk", flat=True))]

    for url in pages:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert [secret for secret in SECRETS if secret in content] == [], url


def test_the_admin_lists_children_by_first_name(staff_client: Client) -> None:
    assert "Mia" in staff_client.get("/admin/accounts/child/").content.decode()


def test_deleting_a_child_in_the_admin_is_audited(staff_client: Client) -> None:
    child = Child.objects.get(first_name="Noah")

    response = staff_client.post(f"/admin/accounts/child/{child.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Child.objects.filter(pk=child.pk).exists()
    event = AuditEvent.objects.get(action="family.child_deleted", target_id=str(child.pk))
    assert event.actor_id == User.objects.get(email="staff@guardiannest.demo").pk


def test_support_ends_a_users_session_from_the_admin(staff_client: Client) -> None:
    from accounts.models import UserSession
    from accounts.services.sessions import session_start

    # given a parent signed in on a device
    parent = User.objects.get(email="parent.anna@guardiannest.demo")
    session = session_start(user=parent, client=None, method="password")

    # when staff end it with the action
    response = staff_client.post(
        "/admin/accounts/usersession/", {"action": "end_session", "_selected_action": [str(session.pk)]}
    )

    # then it is ended through the service (audited), and the admin's run of the action is recorded too
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.ended_at is not None, session.end_reason) == (True, UserSession.EndReason.REVOKED)
    assert AuditEvent.objects.filter(action="auth.session_revoked", target_id=str(parent.pk)).count() == 1
    assert AuditEvent.objects.filter(action="admin.action", target_id=str(session.pk)).count() == 1
    # the refresh token's id never shows on the session's page
    page = staff_client.get(f"/admin/accounts/usersession/{session.pk}/change/").content.decode()
    assert "jti" not in page.lower()
