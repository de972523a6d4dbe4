"""Sign-in options: a challenge for anyone, and an answer that does not reveal who has an account."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.authenticator import RP_ID, SoftAuthenticator, from_b64url
from accounts.tests.passkeys_helpers import login_options, register
from accounts.tests.problems import assert_problem
from conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relying_party")]


def test_options_carry_a_fresh_stored_challenge_each_time(api: APIClient) -> None:
    first, second = login_options(api), login_options(api)

    assert first["challenge"] != second["challenge"]
    assert len(from_b64url(first["challenge"])) >= 32
    assert first["rpId"] == RP_ID and first["userVerification"] == "required" and first["timeout"] == 300_000
    for options in (first, second):
        digest = hashlib.sha256(from_b64url(options["challenge"])).hexdigest()
        assert cache.get(f"passkeys:login:{digest}") is not None


def test_unknown_and_passkeyless_emails_look_alike(api: APIClient, parent: User, sitter: User) -> None:
    register(client_for(parent), SoftAuthenticator())

    unknown = login_options(api, "nobody@example.com")
    without_passkeys = login_options(api, sitter.email)
    known = login_options(api, parent.email)

    assert set(unknown) == set(without_passkeys) == set(known)
    assert unknown["allowCredentials"] == without_passkeys["allowCredentials"] == []
    assert len(known["allowCredentials"]) == 1
    assert unknown["challenge"] and without_passkeys["challenge"]


def test_the_email_is_matched_whatever_its_case(api: APIClient, parent: User) -> None:
    authenticator = SoftAuthenticator()
    register(client_for(parent), authenticator)

    options = login_options(api, parent.email.upper())

    assert [c["id"] for c in options["allowCredentials"]] == [authenticator.id]
    assert options["allowCredentials"][0]["transports"] == ["internal", "hybrid"]


def test_a_deactivated_accounts_passkeys_are_not_offered(api: APIClient, parent: User) -> None:
    register(client_for(parent), SoftAuthenticator())
    User.objects.filter(pk=parent.pk).update(is_active=False)

    assert login_options(api, parent.email)["allowCredentials"] == []


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
