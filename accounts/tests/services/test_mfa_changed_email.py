"""The owner is emailed when two-step sign-in goes on or off and when backup codes are renewed; refusals send none."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from accounts.models import TOTPDevice, User
from accounts.services.mfa import mfa_backup_codes_regenerate, mfa_totp_confirm, mfa_totp_disable, mfa_totp_setup
from accounts.services.mfa_changed import SignInChange, mfa_changed_email_send
from accounts.tests import verified_personas
from accounts.tests.emails import SENTENCES, mfa_changes_received
from accounts.tests.factories import PASSWORD
from accounts.tests.mfa_helpers import totp_code, wait_for_fresh_step
from guardiannest.client import Client
from guardiannest.errors import ApplicationError

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db


def test_turning_two_step_sign_in_on_tells_the_owner(
    caller: Client, parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    mfa_totp_setup(user=parent)
    device = TOTPDevice.objects.get(user=parent)
    wait_for_fresh_step(device)

    with django_capture_on_commit_callbacks() as callbacks:
        mfa_totp_confirm(client=caller, user=parent, code=totp_code(device))

    assert mfa_changes_received(callbacks) == [(parent.email, SignInChange.TOTP_ENABLED)]


def test_turning_it_off_tells_the_owner(
    caller: Client, parent: User, device: TOTPDevice, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        mfa_totp_disable(client=caller, user=parent, password=PASSWORD, code=totp_code(device))

    assert mfa_changes_received(callbacks) == [(parent.email, SignInChange.TOTP_DISABLED)]


def test_new_backup_codes_tell_the_owner(
    caller: Client, parent: User, device: TOTPDevice, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        mfa_backup_codes_regenerate(client=caller, user=parent, code=totp_code(device))

    assert mfa_changes_received(callbacks) == [(parent.email, SignInChange.BACKUP_CODES_REGENERATED)]


def test_a_refused_change_sends_nothing(
    caller: Client, parent: User, device: TOTPDevice, django_capture_on_commit_callbacks: Any
) -> None:
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ApplicationError):
        mfa_totp_disable(client=caller, user=parent, password=PASSWORD, code=wrong)

    assert mfa_changes_received(callbacks) == []


@pytest.mark.parametrize("change", SignInChange)
def test_every_change_is_worded_in_both_bodies(parent: User, change: SignInChange) -> None:
    assert mfa_changed_email_send(user_id=parent.pk, change=change, changed_at="2026-03-01T10:00:00+00:00")

    [message] = mail.outbox
    assert SENTENCES[change] in message.body
    assert SENTENCES[change] in str(message.alternatives[0][0])


def test_an_account_switched_off_meanwhile_gets_nothing(parent: User) -> None:
    User.objects.filter(pk=parent.pk).update(is_active=False)

    assert not mfa_changed_email_send(user_id=parent.pk, change="totp_enabled", changed_at="2026-03-01T10:00:00+00:00")
    assert mail.outbox == []
