"""Deleting my account: personal data goes in one transaction, the row stays for the records that need it."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from accounts.models import BackupCode, Child, DataExport, FirebaseIdentity, Passkey, TOTPDevice, User, UserSession
from accounts.services.gdpr import user_erase_confirmed
from accounts.tasks.gdpr import data_export_build_task
from accounts.tests.factories import PASSWORD
from accounts.tests.gdpr_helpers import DELETE_ACCOUNT, EXPORT
from accounts.tests.helpers import sign_in
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent
from guardiannest.registries import gdpr_erasers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

REFRESH = "/api/v1/auth/token/refresh"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def other_app_eraser() -> Iterator[list[dict[str, Any]]]:
    """Another app's eraser, as bookings or payments would register one; records what it was handed."""
    calls: list[dict[str, Any]] = []

    def erase(user: User) -> None:
        calls.append(
            {
                "id": user.pk,
                "email": user.email,
                "active_sessions": UserSession.objects.filter(user=user, ended_at__isnull=True).count(),
            }
        )

    gdpr_erasers.register("tests_other_app", erase)
    yield calls
    gdpr_erasers.unregister("tests_other_app")


@pytest.fixture
def failing_eraser() -> Iterator[None]:
    def erase(user: User) -> None:
        raise RuntimeError("the payments database is down")

    gdpr_erasers.register("tests_failing_app", erase)
    yield
    gdpr_erasers.unregister("tests_failing_app")


def delete(client: APIClient, password: str = PASSWORD) -> Any:
    return client.post(DELETE_ACCOUNT, {"password": password}, format="json")


def test_erasure_removes_the_person_and_keeps_the_row(
    api: APIClient, parent: User, other_app_eraser: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    # given: a parent with two devices, a failed sign-in from elsewhere, ways to sign in, family data, an export
    email, user_id = parent.email, parent.pk
    api.post(LOGIN, {"email": email, "password": "wrong-password"}, format="json", REMOTE_ADDR="203.0.113.7")
    _, tablet_tokens = sign_in(parent, agent="Tablet/2.0")
    client, phone_tokens = sign_in(parent, agent="Phone/1.0")
    export_id = client.post(EXPORT).json()["id"]
    data_export_build_task.apply(args=[export_id]).get()
    export_file = DataExport.objects.get(pk=export_id).file_name
    TOTPDevice.objects.create(user=parent, name="Authenticator app")
    BackupCode.objects.create(user=parent, salt="s", code_hash="h")
    Passkey.objects.create(user=parent, name="Laptop", credential_id="erase-cred", public_key=b"k")
    FirebaseIdentity.objects.create(user=parent, uid="firebase-uid-1", provider="google.com", trusted=True)
    Child.objects.create(parent=parent, first_name="Mia", birth_date=datetime.date(2021, 3, 1), allergies="peanuts")
    assert AccessAttempt.objects.filter(username=email).exists()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = delete(client)

    # then: accepted; the row is kept, and nothing in it names the person
    assert response.status_code == 202, response.content
    erased = User.objects.get(pk=user_id)
    assert erased.email == f"erased-{user_id}@invalid"
    assert (erased.first_name, erased.last_name, erased.phone) == ("", "", "")
    assert not erased.has_usable_password() and not erased.is_active
    assert erased.email_verified_at is None and erased.last_login is None
    # every device ended, without its address or browser
    sessions = UserSession.objects.filter(user=erased)
    assert sessions.count() == 2
    assert all(s.end_reason == "erased" and s.ip is None and s.user_agent == "" for s in sessions)
    # ways to sign in, family data, exports and their file, lockout records: gone
    assert not TOTPDevice.objects.filter(user=erased).exists()
    assert not BackupCode.objects.filter(user=erased).exists()
    assert not Passkey.objects.filter(user=erased).exists()
    assert not FirebaseIdentity.objects.filter(user=erased).exists()
    assert not Child.objects.filter(parent=erased).exists()
    assert not DataExport.objects.filter(user=erased).exists()
    assert not default_storage.exists(export_file)
    assert not AccessAttempt.objects.filter(username=email).exists()
    # the other apps were asked, once, with every session already ended and the row not yet anonymised
    assert other_app_eraser == [{"id": user_id, "email": email, "active_sessions": 0}]
    # both devices' refresh tokens are dead
    for tokens in (tablet_tokens, phone_tokens):
        assert_problem(api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json"), 401)
    # audited, with no personal data; nothing in the audit trail names the person
    event = AuditEvent.objects.get(action="account.erased")
    assert event.actor_id == user_id and event.target_id == str(user_id) and event.data == {}
    trail = AuditEvent.objects.filter(target_id=str(user_id)) | AuditEvent.objects.filter(actor_id=user_id)
    assert email not in json.dumps([e.data for e in trail]) and "Mia" not in json.dumps([e.data for e in trail])


def test_after_erasure_the_old_credentials_are_dead_and_the_email_is_free(api: APIClient, parent: User) -> None:
    email, user_id = parent.email, parent.pk
    client, tokens = sign_in(parent)
    assert delete(client).status_code == 202

    assert_problem(client.get("/api/v1/auth/me"), 401)
    assert_problem(api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json"), 401)
    assert_problem(api.post(LOGIN, {"email": email, "password": PASSWORD}, format="json"), 401, "invalid_credentials")
    # a new person can sign up with the address
    body = {"email": email, "password": PASSWORD, "role": "parent", "first_name": "New", "last_name": "Person"}
    response = api.post("/api/v1/auth/register", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["id"] != str(user_id)
    fresh, _ = sign_in(User.objects.get(email=email))
    assert fresh.get("/api/v1/auth/me").json()["email"] == email


def test_a_wrong_password_erases_nothing_and_counts_toward_the_lock(parent: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    client, _ = sign_in(parent)

    body = assert_problem(delete(client, "wrong-password"), 400, "invalid")
    assert list(body["errors"]) == ["password"]
    assert_problem(delete(client, "wrong-password"), 429, "account_locked")
    # locked: even the right password is refused now, from here
    assert_problem(delete(client), 429, "account_locked")

    parent.refresh_from_db()
    assert parent.is_active and parent.email == "parent@example.com" and parent.has_usable_password()
    assert UserSession.objects.filter(user=parent, ended_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="account.erase_refused", actor_id=parent.pk).count() == 2
    assert not AuditEvent.objects.filter(action="account.erased").exists()


@pytest.mark.parametrize(
    "payload",
    [{}, {"password": ""}, {"password": 123456789012}, {"password": PASSWORD, "reason": "bye"}, ["x"]],
    ids=["missing", "blank", "number", "unknown-field", "not-an-object"],
)
def test_bad_input_is_refused_and_changes_nothing(parent_api: APIClient, parent: User, payload: Any) -> None:
    assert_problem(parent_api.post(DELETE_ACCOUNT, payload, format="json"), 400, "invalid")
    parent.refresh_from_db()
    assert parent.is_active and parent.email == "parent@example.com"


def test_a_failing_app_leaves_the_account_untouched(parent: User, failing_eraser: None) -> None:
    sign_in(parent)
    TOTPDevice.objects.create(user=parent, name="Authenticator app")

    with pytest.raises(RuntimeError):
        user_erase_confirmed(user=parent)

    parent.refresh_from_db()
    assert parent.is_active and parent.email == "parent@example.com" and parent.has_usable_password()
    assert TOTPDevice.objects.filter(user=parent).exists()
    assert UserSession.objects.filter(user=parent, ended_at__isnull=True).count() == 1
    assert not AuditEvent.objects.filter(action="account.erased").exists()


def test_erasing_twice_changes_nothing_the_second_time(parent: User) -> None:
    assert user_erase_confirmed(user=parent) is True
    assert user_erase_confirmed(user=parent) is False
    assert AuditEvent.objects.filter(action="account.erased").count() == 1


def test_anonymous_callers_get_401(api: APIClient, parent: User) -> None:
    assert_problem(api.post(DELETE_ACCOUNT, {"password": PASSWORD}, format="json"), 401)
    parent.refresh_from_db()
    assert parent.is_active
