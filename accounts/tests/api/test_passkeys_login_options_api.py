"""Sign-in options: a challenge for anyone, and an answer that does not reveal who has an account."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests import verified_personas
from accounts.tests.authenticator import RP_ID, SoftAuthenticator, from_b64url
from accounts.tests.passkeys_helpers import login, login_options, register
from accounts.tests.problems import assert_problem
from conftest import client_for

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relying_party")]


def test_options_carry_a_fresh_stored_challenge_each_time(api: APIClient) -> None:
    first, second = login_options(api), login_options(api)

    assert first["challenge"] != second["challenge"]
    assert len(from_b64url(first["challenge"])) >= 32
    assert first["rpId"] == RP_ID and first["userVerification"] == "required" and first["timeout"] == 300_000
    for options in (first, second):
        digest = hashlib.sha256(from_b64url(options["challenge"])).hexdigest()
        assert cache.get(f"passkeys:login:{digest}") is not None


def test_known_unknown_and_passkeyless_emails_look_alike(api: APIClient, parent: User, sitter: User) -> None:
    """Account enumeration (issue 11, item 10): the answer never depends on whether the email has an account."""
    register(client_for(parent), SoftAuthenticator())
    User.objects.filter(pk=sitter.pk).update(is_active=False)

    answers = [login_options(api, email) for email in ("nobody@example.com", sitter.email, parent.email, None)]

    assert all(set(answer) == set(answers[0]) for answer in answers)
    assert [answer["allowCredentials"] for answer in answers] == [[], [], [], []]
    assert all(answer["challenge"] for answer in answers)


def test_a_discoverable_passkey_signs_in_whatever_email_the_options_named(api: APIClient, parent: User) -> None:
    authenticator = SoftAuthenticator()
    register(client_for(parent), authenticator)

    assert login(api, authenticator, "nobody@example.com").status_code == 200


def test_the_public_steps_share_the_login_throttle(api: APIClient, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "2/hour"},
    }
    statuses = [api.post("/api/v1/auth/passkeys/login/options", {}, format="json").status_code for _ in range(2)]

    response = api.post("/api/v1/auth/passkeys/login/verify", {"credential": {}}, format="json")

    assert statuses == [200, 200]
    assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
