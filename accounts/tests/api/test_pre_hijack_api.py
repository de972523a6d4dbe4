"""Pre-hijack and persistence (issue 11, item 1), played against the API as an attacker would.

The attacker registers the victim's address, fits the account with their own
ways in, and waits for the owner. A bearer token alone must never add one, and
whatever was added before the owner proved the mailbox must not survive it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.models import FirebaseIdentity, Passkey, TOTPDevice, User, UserSession
from accounts.services.passkeys import passkey_register, passkey_register_options
from accounts.services.passwords import password_reset_tokens
from accounts.services.verification import email_verification_tokens
from accounts.tests import verified_personas
from accounts.tests.authenticator import SoftAuthenticator
from accounts.tests.factories import PASSWORD
from accounts.tests.helpers import queued, sign_in
from accounts.tests.passkeys_helpers import BASE, login, register, register_options
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.usefixtures("relying_party")

VICTIM = "victim@example.com"
NEW_PASSWORD = "the-real-owner-takes-it-back"
MFA_CHANGED = "accounts.mfa_changed_email_send"


def _link_token(user: User, generator: Any) -> str:
    timestamp = generator._num_seconds(generator._now())
    signed = generator._make_token_with_timestamp(user, timestamp, generator.secret)
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{signed}"


def _squatter() -> tuple[User, APIClient]:
    """The attacker registers the victim's address and signs in with the password they chose."""
    api = APIClient()
    body = {"email": VICTIM, "password": PASSWORD, "role": "parent", "first_name": "V", "last_name": "Ictim"}
    assert api.post("/api/v1/auth/register", body, format="json").status_code == 201
    user = User.objects.get(email=VICTIM)
    client, _ = sign_in(user)
    return user, client


def test_a_bearer_token_on_an_unverified_account_adds_no_way_in(db: Any) -> None:
    user, attacker = _squatter()

    refused = [
        attacker.post(f"{BASE}/register/options", {}, format="json"),
        attacker.post("/api/v1/auth/firebase/link", {"id_token": "x" * 40}, format="json"),
        attacker.post("/api/v1/auth/mfa/totp/setup", {}, format="json"),
    ]

    for response in refused:
        assert_problem(response, 403, "email_unverified")
    assert not Passkey.objects.filter(user=user).exists()
    assert not FirebaseIdentity.objects.filter(user=user).exists()
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_ways_in_added_before_the_owner_showed_up_die_with_the_reset(
    db: Any, authenticator: SoftAuthenticator, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a squatter's passkey, Firebase link and authenticator, added before this rule existed
    user, _ = _squatter()
    passkey_register(user=user, credential=authenticator.create(passkey_register_options(user=user)), name="Attacker")
    FirebaseIdentity.objects.create(user=user, uid="attackers-google", provider="google.com", trusted=True)
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    # when: the owner resets the password from the mailbox
    with django_capture_on_commit_callbacks() as callbacks:
        reset = APIClient().post(
            "/api/v1/auth/password/reset/confirm",
            {"token": _link_token(user, password_reset_tokens), "password": NEW_PASSWORD},
            format="json",
        )
    # then: every one of them is gone, the owner hears of each, and the passkey signs nobody in
    assert reset.status_code == 200
    assert not Passkey.objects.filter(user=user).exists()
    assert not FirebaseIdentity.objects.filter(user=user).exists()
    assert not TOTPDevice.objects.filter(user=user).exists()
    changes = {args[1] for args in queued(callbacks, MFA_CHANGED)}
    assert changes == {"passkey_removed", "firebase_unlinked", "totp_disabled"}
    assert AuditEvent.objects.filter(action="auth.credentials_purged", target_id=str(user.pk)).count() == 1
    assert_problem(login(APIClient(), authenticator), 401, "invalid_credentials")


def test_verifying_the_email_removes_what_was_added_before(db: Any, authenticator: SoftAuthenticator) -> None:
    user, _ = _squatter()
    passkey_register(user=user, credential=authenticator.create(passkey_register_options(user=user)), name="Attacker")

    verified = APIClient().post(
        "/api/v1/auth/verify-email", {"token": _link_token(user, email_verification_tokens)}, format="json"
    )

    assert verified.status_code == 200
    assert not Passkey.objects.filter(user=user).exists()
    assert_problem(login(APIClient(), authenticator), 401, "invalid_credentials")


def test_a_reset_keeps_ways_in_the_verified_owner_added_after(parent: User, authenticator: SoftAuthenticator) -> None:
    client, _ = sign_in(parent)
    assert register(client, authenticator).status_code == 201

    APIClient().post(
        "/api/v1/auth/password/reset/confirm",
        {"token": _link_token(parent, password_reset_tokens), "password": NEW_PASSWORD},
        format="json",
    )

    assert Passkey.objects.filter(user=parent).count() == 1
    assert login(APIClient(), authenticator).status_code == 200


def test_a_stale_session_steps_up_before_adding_or_removing_a_passkey(
    parent: User, authenticator: SoftAuthenticator
) -> None:
    client, _ = sign_in(parent)
    assert register(client, authenticator).status_code == 201
    passkey = Passkey.objects.get(user=parent)
    # the token is still good, but nobody proved anything on it for ten minutes (a stolen token, say)
    UserSession.objects.filter(user=parent).update(authenticated_at=timezone.now() - timedelta(minutes=10))

    assert_problem(client.post(f"{BASE}/register/options", {}, format="json"), 403, "step_up_required")
    assert_problem(client.delete(f"{BASE}/{passkey.pk}"), 403, "step_up_required")
    assert_problem(client.post("/api/v1/auth/mfa/totp/setup", {}, format="json"), 403, "step_up_required")
    wrong = client.post("/api/v1/auth/step-up", {"password": "not-the-password"}, format="json")
    assert_problem(wrong, 400, "invalid_credentials")
    assert Passkey.objects.filter(pk=passkey.pk).exists()

    stepped = client.post("/api/v1/auth/step-up", {"password": PASSWORD}, format="json")

    assert stepped.status_code == 200 and stepped.json()["valid_for"] == 300
    assert register_options(client)["challenge"]
    assert client.delete(f"{BASE}/{passkey.pk}").status_code == 204
    assert AuditEvent.objects.filter(action="auth.stepped_up", target_id=str(parent.pk)).count() == 1
