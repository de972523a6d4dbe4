"""The owner is emailed when a passkey is added to or removed from their account, also when staff remove it."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Passkey, User
from accounts.services.mfa_changed import SignInChange
from accounts.services.passkeys import passkey_revoke
from accounts.tests import verified_personas
from accounts.tests.authenticator import SoftAuthenticator
from accounts.tests.emails import mfa_changes_received
from accounts.tests.passkeys_helpers import BASE, register

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("relying_party")]


def test_adding_a_passkey_tells_the_owner(
    parent_api: APIClient, parent: User, authenticator: SoftAuthenticator, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        assert register(parent_api, authenticator).status_code == 201

    assert mfa_changes_received(callbacks) == [(parent.email, SignInChange.PASSKEY_ADDED)]


def test_removing_one_tells_the_owner(
    parent_api: APIClient, parent: User, authenticator: SoftAuthenticator, django_capture_on_commit_callbacks: Any
) -> None:
    assert register(parent_api, authenticator).status_code == 201
    passkey = Passkey.objects.get(user=parent)

    with django_capture_on_commit_callbacks() as callbacks:
        assert parent_api.delete(f"{BASE}/{passkey.pk}").status_code == 204

    assert mfa_changes_received(callbacks) == [(parent.email, SignInChange.PASSKEY_REMOVED)]


def test_staff_removing_one_tells_the_owner_not_staff(
    parent: User, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    passkey = Passkey.objects.create(
        user=parent, name="laptop", credential_id="cred-1", public_key=b"k", user_handle="h"
    )

    with django_capture_on_commit_callbacks() as callbacks:
        passkey_revoke(passkey=passkey, actor=staff)

    assert mfa_changes_received(callbacks) == [(parent.email, SignInChange.PASSKEY_REMOVED)]


def test_a_refused_registration_tells_nobody(
    parent_api: APIClient, authenticator: SoftAuthenticator, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        assert register(parent_api, authenticator, origin="https://evil.test").status_code == 400

    assert mfa_changes_received(callbacks) == []
