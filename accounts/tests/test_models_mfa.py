""" "MFA is on" has one definition (``accounts.models.mfa.mfa_devices``); every reader of it agrees in every state.

The readers: ``User.mfa_enabled`` asked of the database, the compiled query API
authentication loads the user with (``auth/me`` shows it), and the password
sign-in, which asks for the second step exactly when MFA is on.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import BackupCode, Passkey, User
from accounts.services.auth import user_login
from accounts.services.sessions import session_start
from accounts.tests import verified_personas
from accounts.tests.factories import PASSWORD, TOTPDeviceFactory
from conftest import client_for
from guardiannest.client import Client

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db

Setup = Callable[[User, User], object]


def _nothing(user: User, other: User) -> None:
    pass


def _pending(user: User, other: User) -> None:
    TOTPDeviceFactory(user=user, confirmed=False)


def _confirmed(user: User, other: User) -> None:
    TOTPDeviceFactory(user=user)


def _confirmed_and_pending(user: User, other: User) -> None:
    TOTPDeviceFactory(user=user)
    TOTPDeviceFactory(user=user, confirmed=False)


def _someone_elses(user: User, other: User) -> None:
    TOTPDeviceFactory(user=other)


def _backup_codes_only(user: User, other: User) -> None:
    BackupCode.objects.create(user=user, salt="s", code_hash="h")


def _passkey_only(user: User, other: User) -> None:
    Passkey.objects.create(user=user, name="laptop", credential_id="cred-1", public_key=b"k", user_handle="h")


STATES: dict[str, tuple[Setup, bool]] = {
    "no second factor": (_nothing, False),
    "an authenticator still being set up": (_pending, False),
    "a confirmed authenticator": (_confirmed, True),
    "a confirmed and a pending authenticator": (_confirmed_and_pending, True),
    "someone else's confirmed authenticator": (_someone_elses, False),
    "backup codes left over, no authenticator": (_backup_codes_only, False),
    "a passkey only": (_passkey_only, False),
}


@pytest.mark.parametrize(("setup", "expected"), STATES.values(), ids=STATES.keys())
def test_every_reader_of_mfa_agrees(setup: Setup, expected: bool, parent: User, other_parent: User) -> None:
    # given
    setup(parent, other_parent)

    # when
    fresh = User.objects.get(pk=parent.pk).mfa_enabled
    session = session_start(user=parent, client=None, method="password")
    authenticated = User.objects.get_for_authentication(parent.pk, {"sid": str(session.pk)})
    me = client_for(parent).get("/api/v1/auth/me").json()["mfa_enabled"]
    sign_in = user_login(client=Client(ip="127.0.0.1"), email=parent.email, password=PASSWORD)

    # then
    assert authenticated is not None
    assert (fresh, authenticated.mfa_enabled, me, sign_in.get("mfa_required", False)) == (expected,) * 4
