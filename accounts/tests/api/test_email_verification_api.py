"""Sign-up sends a signed, expiring, single-use link; the link verifies the address once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services.passwords import password_reset_tokens
from accounts.services.verification import email_verification_tokens, token_pack
from accounts.tasks.emails import email_verification_send_task
from accounts.tests.factories import PASSWORD, ParentFactory
from accounts.tests.helpers import link_in, queued, run_queued
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify-email"
TASK = "accounts.email_verification_send"


def register(api: APIClient, **overrides: Any) -> Any:
    body = {"email": "ana@example.com", "password": PASSWORD, "role": "parent", "first_name": "Ana", "last_name": "B"}
    return api.post(REGISTER, body | overrides, format="json")


@pytest.fixture
def unverified(db: Any) -> User:
    return ParentFactory(email="new.parent@example.com", first_name="Nadia")


def token_for(user: User, *, age: int = 0) -> str:
    """A verification token for the user as they are now, signed ``age`` seconds ago."""
    generator = email_verification_tokens
    timestamp = generator._num_seconds(generator._now()) - age
    signed = generator._make_token_with_timestamp(user, timestamp, generator.secret)
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{signed}"


# --- registration sends it ---------------------------------------------------------------------


def test_registration_queues_the_verification_email_after_commit(
    api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = register(api)

    assert response.status_code == 201, response.content
    assert queued(callbacks, TASK) == [(response.json()["id"],)]
    assert mail.outbox == []  # nothing leaves inside the request


def test_a_refused_registration_queues_nothing(api: APIClient, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = register(api, password="password123456")

    assert_problem(response, 400, "invalid")
    assert queued(callbacks, TASK) == []


def test_the_email_has_text_and_html_and_its_link_verifies(
    api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a sign-up, and the worker running what it queued
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user_id = register(api).json()["id"]
    run_queued(callbacks)
    # then: one email, text body plus HTML alternative, the same link in both
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.com"]
    assert message.subject == "Confirm your email address"
    assert [mimetype for _, mimetype in message.alternatives] == ["text/html"]
    assert "<html" in str(message.alternatives[0][0]) and "<html" not in message.body
    assert "Ana" in message.body
    link, token = link_in(message, "verify-email")
    assert link.startswith(f"{settings.FRONTEND_URL}/verify-email#token=")
    # when: the link's token comes back
    response = api.post(VERIFY, {"token": token}, format="json")
    # then
    assert response.status_code == 200, response.content
    assert response.json() == {"email_verified": True}
    user = User.objects.get(pk=user_id)
    assert user.email_verified_at is not None
    assert AuditEvent.objects.filter(action="user.email_verified", target_id=str(user.pk)).count() == 1


def test_the_html_body_escapes_what_people_typed(unverified: User) -> None:
    unverified.first_name = '<script>alert("x")</script>'
    unverified.save()

    email_verification_send_task.apply(args=[str(unverified.pk)])

    html = str(mail.outbox[0].alternatives[0][0])
    assert "<script>" not in html and "&lt;script&gt;" in html


# --- the link works once, for a while, for this address -------------------------------------


def test_a_used_link_is_refused(api: APIClient, unverified: User) -> None:
    token = token_pack(user=unverified, generator=email_verification_tokens)
    assert api.post(VERIFY, {"token": token}, format="json").status_code == 200
    first = User.objects.get(pk=unverified.pk).email_verified_at

    body = assert_problem(api.post(VERIFY, {"token": token}, format="json"), 400, "invalid_token")

    assert body["errors"]["token"]
    assert User.objects.get(pk=unverified.pk).email_verified_at == first


def test_an_expired_link_is_refused(api: APIClient, unverified: User) -> None:
    stale = token_for(unverified, age=settings.EMAIL_VERIFICATION_TTL + 1)
    fresh_enough = token_for(unverified, age=settings.EMAIL_VERIFICATION_TTL - 60)

    assert_problem(api.post(VERIFY, {"token": stale}, format="json"), 400, "invalid_token")
    assert User.objects.get(pk=unverified.pk).email_verified_at is None
    assert api.post(VERIFY, {"token": fresh_enough}, format="json").status_code == 200


def test_a_link_for_a_previous_address_is_refused(api: APIClient, unverified: User) -> None:
    token = token_pack(user=unverified, generator=email_verification_tokens)
    User.objects.filter(pk=unverified.pk).update(email="changed@example.com")

    assert_problem(api.post(VERIFY, {"token": token}, format="json"), 400, "invalid_token")
    assert User.objects.get(pk=unverified.pk).email_verified_at is None


def test_a_link_of_a_deactivated_account_is_refused(api: APIClient, unverified: User) -> None:
    token = token_pack(user=unverified, generator=email_verification_tokens)
    User.objects.filter(pk=unverified.pk).update(is_active=False)

    assert_problem(api.post(VERIFY, {"token": token}, format="json"), 400, "invalid_token")


def test_a_password_reset_token_does_not_verify(api: APIClient, unverified: User) -> None:
    token = token_pack(user=unverified, generator=password_reset_tokens)

    assert_problem(api.post(VERIFY, {"token": token}, format="json"), 400, "invalid_token")
    assert User.objects.get(pk=unverified.pk).email_verified_at is None


def test_a_signature_moved_to_another_account_is_refused(api: APIClient, unverified: User, parent: User) -> None:
    mine = token_pack(user=unverified, generator=email_verification_tokens)
    forged = f"{urlsafe_base64_encode(force_bytes(parent.pk))}.{mine.split('.')[1]}"

    assert_problem(api.post(VERIFY, {"token": forged}, format="json"), 400, "invalid_token")
    assert User.objects.filter(email_verified_at__isnull=False).count() == 0


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "a.b",
        "a.b.c",
        ".",
        "MQ.1-abc",  # base64 of "1": not a UUID
        "%%%.zz-00",
        "AAAA.zzzzzzzzzzzzzz-00",  # a timestamp past base 36's limit
        "x" * 200,
    ],
)
def test_malformed_tokens_answer_400_and_change_nothing(api: APIClient, unverified: User, token: str) -> None:
    assert_problem(api.post(VERIFY, {"token": token}, format="json"), 400, "invalid_token")
    assert User.objects.get(pk=unverified.pk).email_verified_at is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"token": ""},
        {"token": True},
        {"token": ["a.b"]},
        {"token": "x" * 201},
        {"token": "a.b", "email": "x@example.com"},
    ],
)
def test_bad_bodies_answer_400(api: APIClient, body: dict[str, Any]) -> None:
    body_out = assert_problem(api.post(VERIFY, body, format="json"), 400, "invalid")
    assert body_out["errors"]


# --- the task ------------------------------------------------------------------------------------


def test_a_redelivered_task_sends_once(unverified: User) -> None:
    for _ in range(2):
        email_verification_send_task.apply(args=[str(unverified.pk)], task_id="redelivered-message")

    assert len(mail.outbox) == 1


def test_the_task_sends_nothing_once_verified_or_gone(unverified: User) -> None:
    user_id = str(unverified.pk)
    User.objects.filter(pk=user_id).update(email_verified_at=timezone.now() - timedelta(minutes=1))
    assert email_verification_send_task.apply(args=[user_id]).get() is False

    User.objects.filter(pk=user_id).delete()
    assert email_verification_send_task.apply(args=[user_id]).get() is False
    assert mail.outbox == []


def test_links_point_at_the_configured_frontend(unverified: User, settings: Any) -> None:
    settings.FRONTEND_URL = "https://app.guardiannest.example"

    email_verification_send_task.apply(args=[str(unverified.pk)])

    link, _ = link_in(mail.outbox[0], "verify-email")
    assert link.startswith("https://app.guardiannest.example/verify-email#token=")
