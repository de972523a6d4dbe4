"""Sign-in refuses replays, stale or foreign challenges, the wrong site, no verification, a counter going back."""

from __future__ import annotations

import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.errors import AccountError
from accounts.models import Passkey, User, UserSession
from accounts.tests import verified_personas
from accounts.tests.authenticator import SoftAuthenticator
from accounts.tests.passkeys_helpers import login, login_options, login_verify, register, register_options
from accounts.tests.problems import assert_problem
from conftest import client_for
from guardiannest.audit.models import AuditEvent

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relying_party")]
REFUSED = AccountError.INVALID_CREDENTIALS


@pytest.fixture
def registered(parent_api: APIClient, authenticator: SoftAuthenticator) -> Passkey:
    assert register(parent_api, authenticator).status_code == 201
    return Passkey.objects.get(credential_id=authenticator.id)


def assert_no_session(passkey: Passkey, sign_count: int = 0) -> None:
    passkey.refresh_from_db()
    assert passkey.sign_count == sign_count
    assert not UserSession.objects.filter(method="passkey").exists()
    assert not AuditEvent.objects.filter(action="auth.login_succeeded").exists()


def test_a_replayed_assertion_is_refused(api: APIClient, registered: Passkey, authenticator: SoftAuthenticator) -> None:
    credential = authenticator.get(login_options(api))
    assert login_verify(api, credential).status_code == 200

    assert_problem(login_verify(api, credential), 401, REFUSED)
    assert UserSession.objects.filter(method="passkey").count() == 1


def test_a_challenge_is_used_once_even_with_a_fresh_signature(
    api: APIClient, registered: Passkey, authenticator: SoftAuthenticator
) -> None:
    options = login_options(api)
    assert login_verify(api, authenticator.get(options)).status_code == 200

    assert_problem(login_verify(api, authenticator.get(options)), 401, REFUSED)  # new count, new signature
    registered.refresh_from_db()
    assert registered.sign_count == 1


def test_an_expired_challenge_is_refused(
    api: APIClient, registered: Passkey, authenticator: SoftAuthenticator, settings: Any
) -> None:
    settings.WEBAUTHN_CHALLENGE_TTL = 1
    options = login_options(api)
    time.sleep(1.3)

    assert_problem(login_verify(api, authenticator.get(options)), 401, REFUSED)
    assert_no_session(registered)


def test_a_challenge_nobody_issued_is_refused(
    api: APIClient, registered: Passkey, authenticator: SoftAuthenticator
) -> None:
    options = login_options(api)

    assert_problem(login_verify(api, authenticator.get(options, challenge="bm90LWlzc3VlZC1ieS11cw")), 401, REFUSED)
    assert_no_session(registered)


def test_a_registration_challenge_does_not_sign_in(
    api: APIClient, parent_api: APIClient, registered: Passkey, authenticator: SoftAuthenticator
) -> None:
    registration_challenge = register_options(parent_api)["challenge"]

    response = login_verify(api, authenticator.get(login_options(api), challenge=registration_challenge))

    assert_problem(response, 401, REFUSED)
    assert_no_session(registered)


@pytest.mark.parametrize(
    "get",
    [
        {"origin": "https://evil.test"},
        {"origin": "https://app.guardiannest.test.evil.test"},
        {"rp_id": "evil.test"},
        {"user_verified": False},
    ],
    ids=["other-origin", "lookalike-origin", "other-rp-id", "no-user-verification"],
)
def test_an_assertion_from_the_wrong_place_or_without_verification_is_refused(
    api: APIClient, registered: Passkey, authenticator: SoftAuthenticator, get: dict[str, Any]
) -> None:
    assert_problem(login(api, authenticator, **get), 401, REFUSED)
    assert_no_session(registered)


def test_a_sign_count_going_backwards_is_refused(
    api: APIClient, registered: Passkey, authenticator: SoftAuthenticator
) -> None:
    assert login(api, authenticator, sign_count=5).status_code == 200

    assert_problem(login(api, authenticator, sign_count=3), 401, REFUSED)
    assert_problem(login(api, authenticator, sign_count=5), 401, REFUSED)  # equal is not more: a cloned key
    registered.refresh_from_db()
    assert registered.sign_count == 5
    assert login(api, authenticator, sign_count=6).status_code == 200


def test_a_signature_by_another_key_is_refused(
    api: APIClient, registered: Passkey, authenticator: SoftAuthenticator
) -> None:
    impostor = SoftAuthenticator()
    impostor.credential_id = authenticator.credential_id  # claims the registered id, signs with its own key
    impostor.user_handle = authenticator.user_handle

    assert_problem(login(api, impostor), 401, REFUSED)
    assert_no_session(registered)


def test_options_naming_one_email_sign_in_the_passkeys_owner_only(
    api: APIClient, parent: User, other_parent: User, registered: Passkey
) -> None:
    theirs = SoftAuthenticator()
    assert register(client_for(other_parent), theirs).status_code == 201

    # options name the parent (and are the same for any email); the other parent's passkey signs in its owner
    response = login(api, theirs, parent.email)

    assert response.status_code == 200
    assert list(UserSession.objects.filter(method="passkey").values_list("user_id", flat=True)) == [other_parent.pk]


def test_a_user_handle_of_another_account_is_refused(
    api: APIClient, registered: Passkey, authenticator: SoftAuthenticator
) -> None:
    assert_problem(login(api, authenticator, user_handle=b"someone-else"), 401, REFUSED)
    assert_no_session(registered)


def test_a_deactivated_account_cannot_sign_in(
    api: APIClient, parent: User, registered: Passkey, authenticator: SoftAuthenticator
) -> None:
    User.objects.filter(pk=parent.pk).update(is_active=False)

    assert_problem(login(api, authenticator), 401, REFUSED)
    assert_no_session(registered)


def test_an_unknown_credential_is_refused_and_audited_without_a_target(api: APIClient, registered: Passkey) -> None:
    stranger = SoftAuthenticator()
    stranger.user_handle = b"whoever"

    assert_problem(login(api, stranger), 401, REFUSED)
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert (event.target_id, event.data) == ("", {"method": "passkey"})
    assert_no_session(registered)


def test_failures_with_a_known_passkey_lock_the_account_from_that_address(
    api: APIClient, parent: User, registered: Passkey, authenticator: SoftAuthenticator, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    codes = [login(api, authenticator, user_verified=False).status_code for _ in range(3)]

    assert codes == [401, 401, 429]
    response = login(api, authenticator)  # now a perfect assertion
    assert_problem(response, 429, "account_locked")
    assert int(response["Retry-After"]) > 0
    assert_no_session(registered)
    failed = AuditEvent.objects.filter(action="auth.login_failed", target_id=str(parent.pk))
    assert failed.count() == 3
    # the lock holds this address, not the parent everywhere
    elsewhere = login_verify(api, authenticator.get(login_options(api)), REMOTE_ADDR="198.51.100.4")
    assert elsewhere.status_code == 200, elsewhere.content


def test_a_success_clears_the_failure_count(
    api: APIClient, registered: Passkey, authenticator: SoftAuthenticator, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        login(api, authenticator, user_verified=False)
    assert login(api, authenticator).status_code == 200
    for _ in range(2):
        login(api, authenticator, user_verified=False)

    assert login(api, authenticator).status_code == 200
