from __future__ import annotations

import pytest

from accounts.models import BackupCode, TOTPDevice, User
from accounts.services.auth import user_login
from accounts.services.mfa import mfa_totp_disable
from accounts.tests import verified_personas
from accounts.tests.factories import PASSWORD
from accounts.tests.mfa_helpers import backup_codes_for, failures_counted, last_event, totp_code
from guardiannest.client import Client
from guardiannest.errors import ApplicationError, Refusal

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db


def test_password_and_code_turn_mfa_off(caller: Client, parent: User, device: TOTPDevice) -> None:
    backup_codes_for(parent)

    mfa_totp_disable(client=caller, user=parent, password=PASSWORD, code=totp_code(device))

    assert not TOTPDevice.objects.filter(user=parent).exists()
    assert not BackupCode.objects.filter(user=parent).exists()
    assert parent.mfa_enabled is False
    event = last_event(parent, "mfa.disabled")
    assert (event.actor_id, event.data) == (parent.pk, {"way": "totp"})
    assert set(user_login(client=caller, email=parent.email, password=PASSWORD)) == {"access", "refresh"}


def test_a_backup_code_may_stand_in_for_a_lost_phone(caller: Client, parent: User, device: TOTPDevice) -> None:
    codes = backup_codes_for(parent)

    mfa_totp_disable(client=caller, user=parent, password=PASSWORD, code=codes[9])

    assert parent.mfa_enabled is False
    assert last_event(parent, "mfa.disabled").data == {"way": "backup_code"}


def test_a_wrong_password_changes_nothing(caller: Client, parent: User, device: TOTPDevice) -> None:
    code = totp_code(device)

    with pytest.raises(ApplicationError) as caught:
        mfa_totp_disable(client=caller, user=parent, password="not-the-password", code=code)

    assert (caught.value.code, caught.value.refusal, list(caught.value.errors or {})) == (
        "invalid_password",
        Refusal.INVALID,
        ["password"],
    )
    assert parent.mfa_enabled is True
    assert failures_counted(parent) == 1
    device.refresh_from_db()
    assert device.last_t == -1  # the code was not spent


def test_a_wrong_code_changes_nothing(caller: Client, parent: User, device: TOTPDevice) -> None:
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    with pytest.raises(ApplicationError) as caught:
        mfa_totp_disable(client=caller, user=parent, password=PASSWORD, code=wrong)

    assert (caught.value.code, caught.value.refusal) == ("invalid_code", Refusal.INVALID)
    assert parent.mfa_enabled is True
    assert failures_counted(parent) == 1
    assert last_event(parent, "auth.mfa_failed").actor_id == parent.pk


def test_disabling_when_off_is_a_conflict(caller: Client, parent: User) -> None:
    with pytest.raises(ApplicationError) as caught:
        mfa_totp_disable(client=caller, user=parent, password=PASSWORD, code="123456")

    assert (caught.value.code, caught.value.refusal) == ("mfa_not_enabled", Refusal.CONFLICT)


def test_a_locked_account_cannot_disable_even_with_the_right_code(
    settings, caller: Client, parent: User, device: TOTPDevice
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        with pytest.raises(ApplicationError):
            mfa_totp_disable(client=caller, user=parent, password="wrong-password", code="123456")
    with pytest.raises(ApplicationError) as locking:
        mfa_totp_disable(client=caller, user=parent, password="wrong-password", code="123456")

    with pytest.raises(ApplicationError) as caught:
        mfa_totp_disable(client=caller, user=parent, password=PASSWORD, code=totp_code(device))

    assert locking.value.refusal == caught.value.refusal == Refusal.RATE_LIMITED
    assert parent.mfa_enabled is True
