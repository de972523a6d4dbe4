"""Sign-in with MFA on: the password earns only a challenge; the code finishes it."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import TOTPDevice, User, UserSession
from accounts.services.auth import user_login
from accounts.services.mfa import MFA_TOKEN_TTL_SECONDS, mfa_challenge_issue, user_login_mfa
from accounts.tests import verified_personas
from accounts.tests.factories import PASSWORD
from accounts.tests.mfa_helpers import actions_on, backup_codes_for, failures_counted, last_event, totp_code
from guardiannest.client import Client
from guardiannest.errors import ApplicationError, Refusal

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db

HERE = Client(ip="127.0.0.1")


def _wrong(device: TOTPDevice) -> str:
    return f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"


def _token(user: User) -> str:
    """A challenge as a right password would earn it, without going through the password check."""
    return str(mfa_challenge_issue(client=HERE, user=user)["mfa_token"])


def _challenge(client: Client, user: User) -> str:
    answer = user_login(client=client, email=user.email, password=PASSWORD)
    return str(answer["mfa_token"])


def test_a_right_password_earns_only_the_challenge(caller: Client, parent: User, device: TOTPDevice) -> None:
    answer = user_login(client=caller, email=parent.email, password=PASSWORD)

    assert set(answer) == {"mfa_required", "mfa_token", "methods"}
    assert answer["mfa_required"] is True
    assert answer["methods"] == ["totp", "backup_code"]
    assert UserSession.objects.filter(user=parent).count() == 0
    assert "auth.login_succeeded" not in actions_on(parent)


def test_without_a_confirmed_device_login_hands_out_tokens(caller: Client, parent: User) -> None:
    TOTPDevice.objects.create(user=parent, name="pending", confirmed=False)

    assert set(user_login(client=caller, email=parent.email, password=PASSWORD)) == {"access", "refresh"}


def test_the_token_is_opaque_short_lived_and_names_only_user_and_address(
    caller: Client, parent: User, device: TOTPDevice
) -> None:
    token = _challenge(caller, parent)

    assert token.count(".") != 2  # not a JWT
    key = cache.make_key(f"mfatoken:{token}")
    client = cache._cache.get_client(key)  # type: ignore[attr-defined]
    assert 0 < client.ttl(key) <= MFA_TOKEN_TTL_SECONDS
    assert cache.get(f"mfatoken:{token}") == {"user_id": str(parent.pk), "ip": "127.0.0.1"}


def test_a_totp_code_finishes_the_sign_in(caller: Client, parent: User, device: TOTPDevice) -> None:
    token = _challenge(caller, parent)

    pair = user_login_mfa(client=caller, mfa_token=token, code=totp_code(device))

    assert set(pair) == {"access", "refresh"}
    session = UserSession.objects.get(user=parent)
    assert (session.method, str(session.ip)) == ("password+totp", "127.0.0.1")
    assert last_event(parent, "auth.login_succeeded").data == {"method": "password+totp"}


def test_a_backup_code_finishes_the_sign_in_once(caller: Client, parent: User, device: TOTPDevice) -> None:

    codes = backup_codes_for(parent)

    user_login_mfa(client=caller, mfa_token=_challenge(caller, parent), code=codes[0].upper())
    with pytest.raises(ApplicationError) as caught:
        user_login_mfa(client=caller, mfa_token=_challenge(caller, parent), code=codes[0])

    assert UserSession.objects.get(user=parent).method == "password+backup_code"
    assert last_event(parent, "auth.login_succeeded").data == {"method": "password+backup_code"}
    assert (caught.value.code, caught.value.refusal) == ("invalid_code", Refusal.UNAUTHENTICATED)
    assert last_event(parent, "auth.mfa_failed").data == {"way": "backup_code"}


def test_the_token_is_single_use(caller: Client, parent: User, device: TOTPDevice) -> None:
    token = _challenge(caller, parent)
    user_login_mfa(client=caller, mfa_token=token, code=totp_code(device))

    with pytest.raises(ApplicationError) as caught:
        user_login_mfa(client=caller, mfa_token=token, code=totp_code(device, steps=1))

    assert (caught.value.code, caught.value.refusal) == ("invalid_mfa_token", Refusal.UNAUTHENTICATED)
    assert UserSession.objects.filter(user=parent).count() == 1


def test_a_wrong_code_spends_the_token_and_counts_toward_the_lockout(
    caller: Client, parent: User, device: TOTPDevice
) -> None:
    token = _challenge(caller, parent)

    with pytest.raises(ApplicationError) as wrong:
        user_login_mfa(client=caller, mfa_token=token, code=_wrong(device))
    with pytest.raises(ApplicationError) as again:
        user_login_mfa(client=caller, mfa_token=token, code=totp_code(device))

    assert (wrong.value.code, wrong.value.refusal) == ("invalid_code", Refusal.UNAUTHENTICATED)
    assert (again.value.code, again.value.refusal) == ("invalid_mfa_token", Refusal.UNAUTHENTICATED)
    assert failures_counted(parent) == 1
    event = last_event(parent, "auth.mfa_failed")
    assert (event.actor_id, event.data) == (None, {"way": "totp"})
    assert UserSession.objects.filter(user=parent).count() == 0


def test_the_token_is_bound_to_the_address_that_gave_the_password(parent: User, device: TOTPDevice) -> None:
    token = _challenge(HERE, parent)

    with pytest.raises(ApplicationError) as caught:
        user_login_mfa(client=Client(ip="203.0.113.7"), mfa_token=token, code=totp_code(device))

    assert (caught.value.code, caught.value.refusal) == ("invalid_mfa_token", Refusal.UNAUTHENTICATED)
    assert UserSession.objects.filter(user=parent).count() == 0


def test_a_token_of_a_since_deactivated_account_is_refused(caller: Client, parent: User, device: TOTPDevice) -> None:
    token = _challenge(caller, parent)
    User.objects.filter(pk=parent.pk).update(is_active=False)

    with pytest.raises(ApplicationError) as caught:
        user_login_mfa(client=caller, mfa_token=token, code=totp_code(device))

    assert caught.value.code == "invalid_mfa_token"


@pytest.mark.parametrize("token", ["", "x" * 129, "not-a-token-we-issued"])
def test_unknown_tokens_are_refused(caller: Client, parent: User, device: TOTPDevice, token: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        user_login_mfa(client=caller, mfa_token=token, code=totp_code(device))

    assert (caught.value.code, caught.value.refusal) == ("invalid_mfa_token", Refusal.UNAUTHENTICATED)


def test_a_locked_account_and_address_is_refused_even_with_the_right_code(
    settings, parent: User, device: TOTPDevice
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        with pytest.raises(ApplicationError):
            user_login_mfa(client=HERE, mfa_token=_challenge(HERE, parent), code=_wrong(device))
    with pytest.raises(ApplicationError) as locking:
        user_login_mfa(client=HERE, mfa_token=_token(parent), code=_wrong(device))
    token = _token(parent)  # as if earned just before the lock: the password step refuses now (below)

    with pytest.raises(ApplicationError) as caught:
        user_login_mfa(client=HERE, mfa_token=token, code=totp_code(device))

    assert (locking.value.code, locking.value.refusal) == ("account_locked", Refusal.RATE_LIMITED)
    assert (caught.value.code, caught.value.refusal) == ("account_locked", Refusal.RATE_LIMITED)
    assert UserSession.objects.filter(user=parent).count() == 0
    with pytest.raises(ApplicationError) as password:
        user_login(client=HERE, email=parent.email, password=PASSWORD)
    assert password.value.refusal == Refusal.RATE_LIMITED


def test_another_address_is_not_locked_out_by_those_failures(settings, parent: User, device: TOTPDevice) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        with pytest.raises(ApplicationError):
            user_login_mfa(
                client=HERE,
                mfa_token=_token(parent),
                code=_wrong(device),
            )
    elsewhere = Client(ip="198.51.100.4")

    pair = user_login_mfa(client=elsewhere, mfa_token=_challenge(elsewhere, parent), code=totp_code(device))

    assert set(pair) == {"access", "refresh"}


def test_a_success_clears_the_count_but_a_right_password_does_not(
    caller: Client, parent: User, device: TOTPDevice
) -> None:
    with pytest.raises(ApplicationError):
        user_login_mfa(client=caller, mfa_token=_challenge(caller, parent), code=_wrong(device))
    _challenge(caller, parent)
    assert failures_counted(parent) == 1

    user_login_mfa(client=caller, mfa_token=_challenge(caller, parent), code=totp_code(device))

    assert failures_counted(parent) == 0
