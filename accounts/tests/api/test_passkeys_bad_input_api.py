"""Garbage in: a 4xx in the one error shape, and nothing changes (no passkey, no session, no spent challenge)."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Passkey, User, UserSession
from accounts.tests import verified_personas
from accounts.tests.authenticator import SoftAuthenticator, b64url
from accounts.tests.passkeys_helpers import BASE, login_options, register, register_options
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relying_party")]


def _broken(credential: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy with ``a.b`` set to value (or removed when value is ...)."""
    broken = copy.deepcopy(credential)
    *parents, leaf = path.split(".")
    node = broken
    for name in parents:
        node = node[name]
    if value is ...:
        del node[leaf]
    else:
        node[leaf] = value
    return broken


GARBAGE_CREDENTIALS = [
    pytest.param("not json at all", id="a-string"),
    pytest.param(["a", "list"], id="a-list"),
    pytest.param(None, id="null"),
    pytest.param({}, id="empty-object"),
    pytest.param({"id": 1, "rawId": 2, "type": "public-key", "response": {}}, id="wrong-types"),
]


def _garbage_registrations(valid: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        _broken(valid, "response", ...),
        _broken(valid, "response.clientDataJSON", ...),
        _broken(valid, "response.attestationObject", ...),
        _broken(valid, "type", "password"),
        _broken(valid, "response.clientDataJSON", b64url(b"\xff\xfe not json")),
        _broken(valid, "response.clientDataJSON", b64url(b'{"type": "webauthn.create"}')),
        _broken(valid, "response.clientDataJSON", b64url(b'{"type": 1, "challenge": 5, "origin": []}')),
        _broken(valid, "response.clientDataJSON", "%%%not-base64%%%"),
    ]


@pytest.mark.parametrize("credential", GARBAGE_CREDENTIALS)
def test_garbage_registration_credentials_are_400(parent_api: APIClient, parent: User, credential: Any) -> None:
    register_options(parent_api)

    response = parent_api.post(f"{BASE}/register/verify", {"credential": credential, "name": "x"}, format="json")

    body = assert_problem(response, 400, "invalid")
    assert "credential" in body["errors"]
    assert Passkey.objects.count() == 0


def test_malformed_fields_of_a_real_registration_are_400_and_keep_the_challenge(
    parent_api: APIClient, authenticator: SoftAuthenticator
) -> None:
    valid = authenticator.create(register_options(parent_api))

    for broken in _garbage_registrations(valid):
        response = parent_api.post(f"{BASE}/register/verify", {"credential": broken, "name": "x"}, format="json")
        assert_problem(response, 400, "invalid")
    assert Passkey.objects.count() == 0
    # nothing was spent: the untouched response still registers
    response = parent_api.post(f"{BASE}/register/verify", {"credential": valid, "name": "x"}, format="json")
    assert response.status_code == 201


def test_an_attestation_that_is_not_cbor_is_refused(parent_api: APIClient, authenticator: SoftAuthenticator) -> None:
    valid = authenticator.create(register_options(parent_api))
    broken = _broken(valid, "response.attestationObject", b64url(b"\x9f\xff\x00garbage"))

    response = parent_api.post(f"{BASE}/register/verify", {"credential": broken, "name": "x"}, format="json")

    assert_problem(response, 400, "passkey_verification_failed")
    assert Passkey.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": "Phone"}, id="no-credential"),
        pytest.param({"credential": {"id": "x"}}, id="no-name"),
        pytest.param({"credential": {}, "name": "Phone", "user": "someone-else"}, id="unknown-field"),
        pytest.param({"credential": {}, "name": "x" * 65}, id="name-too-long"),
    ],
)
def test_missing_or_unknown_fields_are_400(parent_api: APIClient, body: dict[str, Any]) -> None:
    assert_problem(parent_api.post(f"{BASE}/register/verify", body, format="json"), 400, "invalid")
    assert Passkey.objects.count() == 0


def test_a_body_that_is_not_json_is_400(api: APIClient, parent_api: APIClient) -> None:
    for client, url in [(parent_api, f"{BASE}/register/verify"), (api, f"{BASE}/login/verify")]:
        response = client.post(url, data=b"{not json", content_type="application/json")
        assert_problem(response, 400, "parse_error")


@pytest.mark.parametrize("credential", GARBAGE_CREDENTIALS)
def test_garbage_sign_in_credentials_are_400_and_change_nothing(api: APIClient, credential: Any) -> None:
    login_options(api)

    response = api.post(f"{BASE}/login/verify", {"credential": credential}, format="json")

    assert_problem(response, 400, "invalid")
    assert not UserSession.objects.filter(method="passkey").exists()
    assert not AuditEvent.objects.filter(action__startswith="auth.login").exists()


def test_malformed_fields_of_a_real_assertion_are_400(
    api: APIClient, parent_api: APIClient, parent: User, authenticator: SoftAuthenticator
) -> None:
    register(parent_api, authenticator)
    options = login_options(api)
    valid = authenticator.get(options)

    for path, value in [
        ("response.signature", ...),
        ("response.authenticatorData", ...),
        ("response.clientDataJSON", base64.b64encode(b"\x00\x01").decode()),
        ("response.userHandle", 12),
        ("rawId", None),
    ]:
        response = api.post(f"{BASE}/login/verify", {"credential": _broken(valid, path, value)}, format="json")
        assert_problem(response, 400, "invalid")
    assert not UserSession.objects.filter(method="passkey").exists()
    assert api.post(f"{BASE}/login/verify", {"credential": valid}, format="json").status_code == 200


def test_an_unknown_credential_id_is_401(api: APIClient) -> None:
    stranger = SoftAuthenticator()

    response = api.post(f"{BASE}/login/verify", {"credential": stranger.get(login_options(api))}, format="json")

    assert_problem(response, 401, "invalid_credentials")
    assert not UserSession.objects.filter(method="passkey").exists()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"email": "not-an-email"}, id="bad-email"),
        pytest.param({"email": "a@b.co", "username": "x"}, id="unknown-field"),
    ],
)
def test_bad_sign_in_options_requests_are_400(api: APIClient, body: dict[str, Any]) -> None:
    assert_problem(api.post(f"{BASE}/login/options", body, format="json"), 400, "invalid")


def test_registration_options_refuse_unknown_fields(parent_api: APIClient) -> None:
    assert_problem(parent_api.post(f"{BASE}/register/options", {"user_id": "x"}, format="json"), 400, "invalid")
