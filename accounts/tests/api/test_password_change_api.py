"""A signed-in user changes their password: this device stays, the others are signed out."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import User, UserSession
from accounts.tests.factories import PASSWORD
from accounts.tests.helpers import queued, refresh_works, run_queued, sign_in
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

CHANGE = "/api/v1/auth/password/change"
LOGIN = "/api/v1/auth/login"
NEW_PASSWORD = "a-brand-new-long-passphrase"
CHANGED_TASK = "accounts.password_changed_email_send"


def change(client: APIClient, old: str = PASSWORD, new: str = NEW_PASSWORD, **extra: Any) -> Any:
    return client.post(CHANGE, {"old_password": old, "new_password": new}, format="json", **extra)


def test_change_keeps_this_device_and_signs_out_the_others(
    parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a phone (where the change happens), a tablet and a laptop
    phone, phone_tokens = sign_in(parent, "phone")
    _, tablet_tokens = sign_in(parent, "tablet")
    _, laptop_tokens = sign_in(parent, "laptop")
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = change(phone)
    # then
    assert response.status_code == 200, response.content
    assert response.json()["sessions_ended"] == 2
    parent.refresh_from_db()
    assert parent.check_password(NEW_PASSWORD) and not parent.check_password(PASSWORD)
    still = UserSession.objects.filter(user=parent, ended_at__isnull=True)
    assert list(still.values_list("user_agent", flat=True)) == ["phone"]
    assert set(
        UserSession.objects.filter(user=parent, ended_at__isnull=False).values_list("end_reason", flat=True)
    ) == {"password_changed"}
    assert refresh_works(phone_tokens["refresh"])
    assert not refresh_works(tablet_tokens["refresh"]) and not refresh_works(laptop_tokens["refresh"])
    assert phone.get("/api/v1/auth/me").status_code == 200
    event = AuditEvent.objects.get(action="auth.password_changed", target_id=str(parent.pk))
    assert event.data == {"sessions_ended": 2} and str(event.actor_id) == str(parent.pk)
    # a "your password was changed" email goes out, after commit, from a worker
    assert queued(callbacks, CHANGED_TASK)[0][0] == str(parent.pk)
    assert mail.outbox == []
    run_queued(callbacks)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [parent.email] and message.subject == "Your GuardianNest password was changed"
    assert message.alternatives[0][1] == "text/html"
    assert "forgot-password" in message.body and "forgot-password" in str(message.alternatives[0][0])


def test_wrong_old_password_is_refused_and_changes_nothing(parent: User) -> None:
    phone, _ = sign_in(parent, "phone")
    _, tablet_tokens = sign_in(parent, "tablet")

    body = assert_problem(change(phone, old="not-my-password"), 400, "invalid")

    assert list(body["errors"]) == ["old_password"]
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)
    assert UserSession.objects.filter(user=parent, ended_at__isnull=True).count() == 2
    assert refresh_works(tablet_tokens["refresh"])
    assert mail.outbox == []


def test_wrong_old_passwords_count_toward_the_lockout(parent: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    phone, _ = sign_in(parent)

    codes = [change(phone, old="not-my-password").status_code for _ in range(3)]

    assert codes == [400, 400, 429]
    # locked: even the right old password is refused now, and so is a password sign-in from here
    assert_problem(change(phone), 429, "account_locked")
    assert APIClient().post(LOGIN, {"email": parent.email, "password": PASSWORD}).status_code == 429
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="auth.password_change_failed", target_id=str(parent.pk)).count() == 3


@pytest.mark.parametrize("password", ["password123456", "Xk7#pQ2!z"], ids=["common", "nine_characters"])
def test_a_weak_new_password_is_refused(parent: User, password: str) -> None:
    phone, _ = sign_in(parent)

    body = assert_problem(change(phone, new=password), 400, "invalid")

    assert list(body["errors"]) == ["new_password"]
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"old_password": PASSWORD},
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "email": "x@example.com"},
        {"old_password": ["x"], "new_password": NEW_PASSWORD},
    ],
)
def test_a_bad_body_answers_400(parent_api: APIClient, parent: User, body: dict[str, Any]) -> None:
    assert_problem(parent_api.post(CHANGE, body, format="json"), 400, "invalid")
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)


def test_anonymous_callers_answer_401(api: APIClient, parent: User) -> None:
    assert_problem(change(api), 401)
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)
