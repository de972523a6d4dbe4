"""Registration refuses what a real authenticator in the wrong place, or an attacker, would send."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.errors import PasskeyError
from accounts.models import Passkey, User
from accounts.tests import verified_personas
from accounts.tests.authenticator import SoftAuthenticator
from accounts.tests.passkeys_helpers import BASE, login_options, register, register_options
from accounts.tests.problems import assert_problem
from conftest import client_for
from guardiannest.audit.models import AuditEvent

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relying_party")]
VERIFY = f"{BASE}/register/verify"


def verify(client: APIClient, credential: Any, name: str = "Phone") -> Any:
    return client.post(VERIFY, {"credential": credential, "name": name}, format="json")


def assert_nothing_registered() -> None:
    assert Passkey.objects.count() == 0
    assert not AuditEvent.objects.filter(action="passkey.registered").exists()


def test_a_challenge_is_used_once(parent_api: APIClient, authenticator: SoftAuthenticator) -> None:
    options = register_options(parent_api)
    credential = authenticator.create(options)
    assert verify(parent_api, credential).status_code == 201

    # the same response again, and another device answering the same options
    assert_problem(verify(parent_api, credential), 400, PasskeyError.CHALLENGE_INVALID)
    assert_problem(verify(parent_api, SoftAuthenticator().create(options)), 400, PasskeyError.CHALLENGE_INVALID)
    assert Passkey.objects.count() == 1


def test_a_failed_attempt_spends_the_challenge(parent_api: APIClient, authenticator: SoftAuthenticator) -> None:
    options = register_options(parent_api)
    assert_problem(verify(parent_api, authenticator.create(options, origin="https://evil.test")), 400)

    assert_problem(verify(parent_api, authenticator.create(options)), 400, PasskeyError.CHALLENGE_INVALID)
    assert_nothing_registered()


def test_an_expired_challenge_is_refused(
    parent_api: APIClient, authenticator: SoftAuthenticator, settings: Any
) -> None:
    settings.WEBAUTHN_CHALLENGE_TTL = 1
    options = register_options(parent_api)
    time.sleep(1.3)  # Redis drops the key by itself

    assert_problem(verify(parent_api, authenticator.create(options)), 400, PasskeyError.CHALLENGE_INVALID)
    assert_nothing_registered()


def test_the_challenge_lives_five_minutes_in_redis(parent_api: APIClient, parent: User) -> None:
    register_options(parent_api)
    key = cache.make_key(f"passkeys:register:{parent.pk}")
    ttl = cache._cache.get_client(key).ttl(key)  # type: ignore[attr-defined]

    assert 290 < ttl <= 300


@pytest.mark.parametrize(
    ("create", "why"),
    [
        ({"origin": "https://evil.test"}, "another site's origin"),
        ({"origin": "http://app.guardiannest.test"}, "plain http"),
        ({"rp_id": "evil.test"}, "another RP ID"),
        ({"user_verified": False}, "no user verification"),
    ],
)
def test_a_response_from_the_wrong_place_or_without_verification_is_refused(
    parent_api: APIClient, authenticator: SoftAuthenticator, create: dict[str, Any], why: str
) -> None:
    response = verify(parent_api, authenticator.create(register_options(parent_api), **create))

    assert_problem(response, 400, PasskeyError.VERIFICATION_FAILED)
    assert_nothing_registered()


def test_a_response_to_another_challenge_is_refused(parent_api: APIClient, authenticator: SoftAuthenticator) -> None:
    """A registration answered with a sign-in challenge (also one the server issued) does not pass."""
    options = register_options(parent_api)
    sign_in_challenge = login_options(APIClient())["challenge"]

    response = verify(parent_api, authenticator.create(options, challenge=sign_in_challenge))

    assert_problem(response, 400, PasskeyError.VERIFICATION_FAILED)
    assert_nothing_registered()


def test_another_users_pending_challenge_is_of_no_use(
    parent_api: APIClient, other_parent: User, authenticator: SoftAuthenticator
) -> None:
    options = register_options(parent_api)
    intruder = client_for(other_parent)

    assert_problem(verify(intruder, authenticator.create(options)), 400, PasskeyError.CHALLENGE_INVALID)
    assert_nothing_registered()
    # the parent's own ceremony is untouched
    assert verify(parent_api, authenticator.create(options)).status_code == 201


def test_one_credential_belongs_to_one_account(
    parent_api: APIClient, parent: User, other_parent: User, authenticator: SoftAuthenticator
) -> None:
    assert register(parent_api, authenticator).status_code == 201

    response = register(client_for(other_parent), authenticator)

    assert_problem(response, 409, PasskeyError.ALREADY_REGISTERED)
    assert list(Passkey.objects.values_list("user", flat=True)) == [parent.pk]


def test_the_name_is_cleaned_of_markup(parent_api: APIClient, authenticator: SoftAuthenticator) -> None:
    response = register(parent_api, authenticator, name="<script>alert(1)</script>Kitchen tablet")

    assert response.status_code == 201
    assert response.json()["name"] == "Kitchen tablet"
    assert Passkey.objects.get().name == "Kitchen tablet"


def test_a_name_that_is_only_markup_is_refused_and_keeps_the_challenge(
    parent_api: APIClient, authenticator: SoftAuthenticator
) -> None:
    options = register_options(parent_api)
    credential = authenticator.create(options)

    body = assert_problem(verify(parent_api, credential, name="<img src=x onerror=alert(1)>"), 400, "invalid")
    assert set(body["errors"]) == {"name"}
    assert_nothing_registered()
    assert verify(parent_api, credential).status_code == 201
