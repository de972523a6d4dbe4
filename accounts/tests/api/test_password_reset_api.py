"""Forgot password: 202 for anyone, a single-use link for account holders, every device signed out."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.models import TOTPDevice, User, UserSession
from accounts.services.passwords import password_reset_tokens
from accounts.services.verification import email_verification_tokens, token_pack
from accounts.tasks.emails import password_reset_email_send_task
from accounts.tests.factories import PASSWORD, ParentFactory
from accounts.tests.helpers import link_in, queued, refresh_works, run_queued, sign_in
from accounts.tests.problems import assert_problem
from conftest import race
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

RESET = "/api/v1/auth/password/reset"
CONFIRM = "/api/v1/auth/password/reset/confirm"
LOGIN = "/api/v1/auth/login"
RESET_TASK = "accounts.password_reset_email_send"
CHANGED_TASK = "accounts.password_changed_email_send"
NEW_PASSWORD = "a-brand-new-long-passphrase"


def reset_token(user: User, *, age: int = 0) -> str:
    generator = password_reset_tokens
    timestamp = generator._num_seconds(generator._now()) - age
    signed = generator._make_token_with_timestamp(user, timestamp, generator.secret)
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{signed}"


def wrong_token(user: User) -> str:
    """Names the user, carries no valid signature."""
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{reset_token(user).split('.')[1][:-4]}0000"


# --- asking for a link --------------------------------------------------------------------------


def test_a_known_address_gets_a_link_that_resets_the_password(
    api: APIClient, parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(RESET, {"email": "Parent@Example.com"}, format="json")
    # then: accepted, queued for a worker, nothing sent in the request
    assert response.status_code == 202, response.content
    assert queued(callbacks, RESET_TASK) == [(str(parent.pk),)]
    assert mail.outbox == []
    run_queued(callbacks)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [parent.email]
    assert [mimetype for _, mimetype in message.alternatives] == ["text/html"]
    link, token = link_in(message, "reset-password")
    assert link.startswith(f"{settings.FRONTEND_URL}/reset-password#token=")
    # and the link sets a new password
    confirmed = api.post(CONFIRM, {"token": token, "password": NEW_PASSWORD}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    parent.refresh_from_db()
    assert parent.check_password(NEW_PASSWORD) and not parent.check_password(PASSWORD)


def _answer(response: Any) -> tuple[int, bytes, dict[str, str]]:
    headers = {name: value for name, value in response.headers.items() if name != "X-Request-ID"}
    return response.status_code, response.content, headers


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    api: APIClient, parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as known_callbacks:
        known = api.post(RESET, {"email": parent.email}, format="json")
    with django_capture_on_commit_callbacks(execute=False) as unknown_callbacks:
        unknown = api.post(RESET, {"email": "nobody@example.com"}, format="json")

    assert unknown.status_code == 202
    assert _answer(unknown) == _answer(known)
    assert unknown["X-Request-ID"] != known["X-Request-ID"]
    assert queued(unknown_callbacks, RESET_TASK) == []
    run_queued(unknown_callbacks)
    assert mail.outbox == []
    run_queued(known_callbacks)
    assert [m.to for m in mail.outbox] == [[parent.email]]


def _work(api: APIClient, email: str) -> tuple[list[str], list[str]]:
    """(templates rendered, SQL statements run, with the address masked) while answering a request."""
    rendered: list[str] = []

    def on_render(sender: Any, template: Any, context: Any, **kwargs: Any) -> None:
        rendered.append(template.name)

    template_rendered.connect(on_render)
    try:
        with CaptureQueriesContext(connection) as queries:
            assert api.post(RESET, {"email": email}, format="json").status_code == 202
    finally:
        template_rendered.disconnect(on_render)
    return rendered, [query["sql"].replace(email, "?") for query in queries.captured_queries]


def test_an_unknown_address_costs_the_same_work_as_a_known_one(api: APIClient, parent: User) -> None:
    known_templates, known_queries = _work(api, parent.email)
    unknown_templates, unknown_queries = _work(api, "nobody@example.com")

    assert "email/password_reset.html" in known_templates
    assert unknown_templates == known_templates
    assert unknown_queries == known_queries


@pytest.mark.parametrize("case", ["inactive", "no_usable_password"])
def test_accounts_that_cannot_reset_get_no_email(
    api: APIClient, parent: User, case: str, django_capture_on_commit_callbacks: Any
) -> None:
    if case == "inactive":
        parent.is_active = False
    else:
        parent.set_unusable_password()
    parent.save()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(RESET, {"email": parent.email}, format="json")

    assert response.status_code == 202
    run_queued(callbacks)
    assert mail.outbox == []


def test_the_task_sends_nothing_when_the_account_was_deactivated_meanwhile(parent: User) -> None:
    User.objects.filter(pk=parent.pk).update(is_active=False)

    assert password_reset_email_send_task.apply(args=[str(parent.pk)]).get() is False
    assert mail.outbox == []


@pytest.mark.parametrize("body", [{}, {"email": "not-an-email"}, {"email": "a@example.com", "role": "staff"}])
def test_a_bad_request_body_answers_400(api: APIClient, body: dict[str, Any]) -> None:
    assert_problem(api.post(RESET, body, format="json"), 400, "invalid")


def test_asking_is_throttled_per_address(api: APIClient, parent: User, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "reset": "2/hour"},
    }
    codes = [api.post(RESET, {"email": parent.email}, format="json").status_code for _ in range(2)]
    refused = api.post(RESET, {"email": "someone.else@example.com"}, format="json")

    assert codes == [202, 202]
    assert_problem(refused, 429, "throttled")
    assert int(refused["Retry-After"]) > 0


# --- confirming ---------------------------------------------------------------------------------


def test_confirm_signs_out_every_device_and_hands_out_no_token(
    api: APIClient, parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    # given: two signed-in devices
    _, phone = sign_in(parent, "phone")
    _, tablet = sign_in(parent, "tablet")
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(CONFIRM, {"token": reset_token(parent), "password": NEW_PASSWORD}, format="json")
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sessions_ended"] == 2
    assert not {"access", "refresh", "mfa_token"} & set(body)
    assert not UserSession.objects.filter(user=parent, ended_at__isnull=True).exists()
    assert set(UserSession.objects.filter(user=parent).values_list("end_reason", flat=True)) == {"password_reset"}
    assert not refresh_works(phone["refresh"]) and not refresh_works(tablet["refresh"])
    event = AuditEvent.objects.get(action="auth.password_reset", target_id=str(parent.pk))
    assert event.data == {"sessions_ended": 2}
    # the owner hears of it
    assert len(queued(callbacks, CHANGED_TASK)) == 1
    run_queued(callbacks)
    assert [m.subject for m in mail.outbox] == ["Your GuardianNest password was changed"]
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    # and signs in with the new password only
    assert api.post(LOGIN, {"email": parent.email, "password": PASSWORD}, format="json").status_code == 401
    assert api.post(LOGIN, {"email": parent.email, "password": NEW_PASSWORD}, format="json").status_code == 200


def test_a_reset_never_skips_mfa(api: APIClient) -> None:
    # An owner who verified the address before turning MFA on: the reset keeps that authenticator.
    parent = ParentFactory(verified=True)
    TOTPDevice.objects.create(user=parent, name="phone", confirmed=True)

    confirmed = api.post(CONFIRM, {"token": reset_token(parent), "password": NEW_PASSWORD}, format="json")
    login = api.post(LOGIN, {"email": parent.email, "password": NEW_PASSWORD}, format="json")

    assert confirmed.status_code == 200 and not {"access", "refresh"} & set(confirmed.json())
    assert login.status_code == 200
    assert login.json()["mfa_required"] is True and "access" not in login.json()


def test_a_link_works_once(api: APIClient, parent: User) -> None:
    token = reset_token(parent)
    assert api.post(CONFIRM, {"token": token, "password": NEW_PASSWORD}, format="json").status_code == 200

    again = api.post(CONFIRM, {"token": token, "password": "yet-another-long-passphrase"}, format="json")

    assert_problem(again, 400, "invalid_token")
    parent.refresh_from_db()
    assert parent.check_password(NEW_PASSWORD)


def test_a_link_dies_when_the_password_changes_otherwise(api: APIClient, parent: User) -> None:
    token = reset_token(parent)
    parent.set_password("changed-elsewhere-passphrase")
    parent.save()

    assert_problem(api.post(CONFIRM, {"token": token, "password": NEW_PASSWORD}, format="json"), 400, "invalid_token")


def test_an_expired_link_is_refused(api: APIClient, parent: User) -> None:
    stale = reset_token(parent, age=settings.PASSWORD_RESET_TTL + 1)

    assert_problem(api.post(CONFIRM, {"token": stale, "password": NEW_PASSWORD}, format="json"), 400, "invalid_token")
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)
    assert api.post(CONFIRM, {"token": reset_token(parent, age=60), "password": NEW_PASSWORD}).status_code == 200


@pytest.mark.parametrize(
    "token",
    ["nonsense", "a.b", "MQ.1-abc", "AAAA.zzzzzzzzzzzzzz-00"],
)
def test_malformed_or_foreign_tokens_are_refused(api: APIClient, parent: User, token: str) -> None:
    assert_problem(api.post(CONFIRM, {"token": token, "password": NEW_PASSWORD}, format="json"), 400, "invalid_token")
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)


def test_a_verification_token_does_not_reset(api: APIClient, parent: User) -> None:
    token = token_pack(user=parent, generator=email_verification_tokens)

    assert_problem(api.post(CONFIRM, {"token": token, "password": NEW_PASSWORD}, format="json"), 400, "invalid_token")


def test_a_link_of_one_account_does_not_reset_another(api: APIClient, parent: User, other_parent: User) -> None:
    mine = reset_token(parent)
    forged = f"{urlsafe_base64_encode(force_bytes(other_parent.pk))}.{mine.split('.')[1]}"

    assert_problem(api.post(CONFIRM, {"token": forged, "password": NEW_PASSWORD}, format="json"), 400, "invalid_token")
    other_parent.refresh_from_db()
    assert other_parent.check_password(PASSWORD)


@pytest.mark.parametrize("password", ["password123456", "Xk7#pQ2!z"], ids=["common", "nine_characters"])
def test_a_weak_password_is_refused_and_the_link_stays_usable(api: APIClient, parent: User, password: str) -> None:
    token = reset_token(parent)
    sign_in(parent)

    body = assert_problem(api.post(CONFIRM, {"token": token, "password": password}, format="json"), 400, "invalid")

    assert list(body["errors"]) == ["password"]
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)
    assert UserSession.objects.filter(user=parent, ended_at__isnull=True).count() == 1
    assert api.post(CONFIRM, {"token": token, "password": NEW_PASSWORD}, format="json").status_code == 200


def test_a_reset_proves_the_mailbox(api: APIClient, parent: User) -> None:
    assert parent.email_verified_at is None

    api.post(CONFIRM, {"token": reset_token(parent), "password": NEW_PASSWORD}, format="json")

    parent.refresh_from_db()
    assert parent.email_verified_at is not None


# --- lockout ---------------------------------------------------------------------------------------


def test_wrong_links_lock_the_account_from_that_address_but_a_real_link_still_works(
    api: APIClient, parent: User, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    codes = [
        api.post(CONFIRM, {"token": wrong_token(parent), "password": NEW_PASSWORD}, format="json").status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 429]
    locked = api.post(LOGIN, {"email": parent.email, "password": PASSWORD}, format="json")
    assert_problem(locked, 429, "account_locked")
    assert int(locked["Retry-After"]) > 0
    assert AuditEvent.objects.filter(action="auth.password_reset_failed", target_id=str(parent.pk)).count() == 3
    # the lock's own advice: reset the password; a real link works and clears the count
    assert api.post(CONFIRM, {"token": reset_token(parent), "password": NEW_PASSWORD}, format="json").status_code == 200
    assert api.post(LOGIN, {"email": parent.email, "password": NEW_PASSWORD}, format="json").status_code == 200


def test_wrong_links_from_one_address_do_not_lock_another(api: APIClient, parent: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        api.post(CONFIRM, {"token": wrong_token(parent), "password": NEW_PASSWORD}, REMOTE_ADDR="203.0.113.9")

    assert api.post(LOGIN, {"email": parent.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.9").status_code == 429
    assert api.post(LOGIN, {"email": parent.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.4").status_code == 200


# --- concurrency ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_racing_uses_of_one_link_reset_once() -> None:
    user = ParentFactory(email="racer@example.com")
    token = reset_token(user)

    def attempt() -> int:
        return APIClient().post(CONFIRM, {"token": token, "password": NEW_PASSWORD}, format="json").status_code

    results = race(8, attempt)

    assert results.count(200) == 1
    assert all(code in (400, 429) for code in results if code != 200), results  # 429 once the wrong tries lock
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="auth.password_reset", target_id=str(user.pk)).count() == 1
