"""Distributed TOTP guessing (issue 11, item 10).

The lockout counts wrong codes per account + address, so an attacker who has
the password and many addresses guesses on for ever, a few codes from each.
A per-account ceiling across all addresses stops that: at the ceiling the
owner is told, and code sign-in stays closed until the owner steps up with a
password reset from their mailbox.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.models import TOTPDevice, User
from accounts.services.passwords import password_reset_tokens
from accounts.tests import verified_personas
from accounts.tests.factories import PASSWORD
from accounts.tests.helpers import queued
from accounts.tests.mfa_helpers import totp_code, wait_for_fresh_step
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
LOGIN_MFA = "/api/v1/auth/login/mfa"
CEILING = 6


def _attempt(user: User, address: str, code: str) -> Any:
    api = APIClient(REMOTE_ADDR=address)
    challenge = api.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json")
    assert challenge.status_code == 200, challenge.content
    return api.post(LOGIN_MFA, {"mfa_token": challenge.json()["mfa_token"], "code": code}, format="json")


def test_guesses_spread_over_addresses_hit_the_accounts_ceiling(
    parent: User, device: TOTPDevice, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MFA_ACCOUNT_FAILURE_LIMIT = CEILING
    wrong = f"{(int(totp_code(device)) + 500_000) % 1_000_000:06d}"
    # given: one wrong code from each of many addresses (each far under the per-address lockout)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for n in range(CEILING):
            assert_problem(_attempt(parent, f"198.51.100.{n + 1}", wrong), 401, "invalid_code")

    # when: the right code comes, from yet another address
    wait_for_fresh_step(device)
    blocked = _attempt(parent, "203.0.113.9", totp_code(device))

    # then: refused, the owner was told once, and the event is audited
    assert_problem(blocked, 403, "mfa_guessing_stopped")
    assert [args[1] for args in queued(callbacks, "accounts.mfa_changed_email_send")] == ["mfa_guessing_stopped"]
    assert AuditEvent.objects.filter(action="auth.mfa_ceiling_reached", target_id=str(parent.pk)).count() == 1

    # the owner steps up by resetting the password from the mailbox; codes work again
    timestamp = password_reset_tokens._num_seconds(password_reset_tokens._now())
    signed = password_reset_tokens._make_token_with_timestamp(parent, timestamp, password_reset_tokens.secret)
    token = f"{urlsafe_base64_encode(force_bytes(parent.pk))}.{signed}"
    new_password = "the-owner-steps-up-again"
    reset = APIClient().post(
        "/api/v1/auth/password/reset/confirm", {"token": token, "password": new_password}, format="json"
    )
    assert reset.status_code == 200
    api = APIClient(REMOTE_ADDR="203.0.113.9")
    challenge = api.post(LOGIN, {"email": parent.email, "password": new_password}, format="json").json()
    wait_for_fresh_step(device)
    done = api.post(LOGIN_MFA, {"mfa_token": challenge["mfa_token"], "code": totp_code(device)}, format="json")
    assert done.status_code == 200, done.content
