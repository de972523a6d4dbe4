"""The client fails closed: switched off is 403, emulator mode or Google unreachable is 503, never a sign-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import FirebaseIdentity, User
from accounts.tests import verified_personas
from accounts.tests.firebase_helpers import sign_in
from accounts.tests.google import StandIn, private_pem, rsa_key, unsigned_token
from accounts.tests.problems import assert_problem

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db


def test_without_a_project_firebase_sign_in_is_switched_off_a_4xx_that_says_so(
    api: APIClient, google: StandIn, settings: Any
) -> None:
    """An integration switched off is not an outage: 403 ``firebase_not_enabled``, and Google is not asked."""
    settings.FIREBASE_PROJECT_ID = ""
    assert_problem(sign_in(api, google.token()), 403, "firebase_not_enabled")
    assert not User.objects.exists()
    assert google.lookups == []


def test_without_a_project_linking_firebase_is_switched_off_too(
    parent_api: APIClient, google: StandIn, settings: Any
) -> None:
    settings.FIREBASE_PROJECT_ID = ""
    response = parent_api.post("/api/v1/auth/firebase/link", {"id_token": google.token()}, format="json")
    assert_problem(response, 403, "firebase_not_enabled")
    assert not FirebaseIdentity.objects.exists()


def test_the_emulator_switch_is_refused_so_unsigned_tokens_never_pass(
    api: APIClient, google: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With FIREBASE_AUTH_EMULATOR_HOST set the SDK skips signature checks; we refuse to run at all."""
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", google.base_url.removeprefix("http://"))
    token = unsigned_token(google.claims(uid="uid-emulated"))
    assert_problem(sign_in(api, token), 503, "firebase_unavailable")
    assert not FirebaseIdentity.objects.exists()
    assert not User.objects.exists()


def test_google_certificates_down_is_503_not_a_401_or_a_500(api: APIClient, google: StandIn) -> None:
    google.certs_status = 500
    assert_problem(sign_in(api, google.token()), 503, "firebase_unavailable")
    assert not User.objects.exists()


def test_a_credential_google_refuses_is_503(api: APIClient, google: StandIn, settings: Any, tmp_path: Path) -> None:
    """The revocation look-up needs the service account: one Google does not know cannot check anything."""
    stranger = tmp_path / "stranger.json"
    stranger.write_text(
        json.dumps({**google.service_account(), "private_key": private_pem(rsa_key()), "private_key_id": "unknown"})
    )
    settings.FIREBASE_CREDENTIALS = str(stranger)
    assert_problem(sign_in(api, google.token()), 503, "firebase_unavailable")
    assert google.lookups == []
    assert not User.objects.exists()
