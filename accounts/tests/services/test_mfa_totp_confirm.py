from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import BackupCode, TOTPDevice, User
from accounts.services.mfa import backup_code_use, mfa_totp_confirm, mfa_totp_setup
from accounts.tests import verified_personas
from accounts.tests.factories import TOTPDeviceFactory
from accounts.tests.mfa_helpers import actions_on, failures_counted, last_event, totp_code, wait_for_fresh_step
from guardiannest.client import Client
from guardiannest.errors import ApplicationError, Refusal

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db


def _pending_device(user: User) -> TOTPDevice:
    mfa_totp_setup(user=user)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wait_for_fresh_step(device)
    return device


def test_the_first_code_turns_mfa_on_and_hands_out_ten_backup_codes(caller: Client, parent: User) -> None:
    device = _pending_device(parent)

    codes = mfa_totp_confirm(client=caller, user=parent, code=totp_code(device))

    device.refresh_from_db()
    assert device.confirmed is True
    assert parent.mfa_enabled is True
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    assert BackupCode.objects.filter(user=parent, used_at__isnull=True).count() == 10
    event = last_event(parent, "mfa.enabled")
    assert (event.actor_id, event.data) == (parent.pk, {"method": "totp"})


def test_backup_codes_are_stored_hashed_only(caller: Client, parent: User) -> None:
    device = _pending_device(parent)

    codes = mfa_totp_confirm(client=caller, user=parent, code=totp_code(device))

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_backupcode")
        raw = repr(cursor.fetchall())
    for code in codes:
        assert code not in raw
        assert code.replace("-", "") not in raw
    assert len({row.salt for row in BackupCode.objects.filter(user=parent)}) == 10


def test_a_wrong_code_changes_nothing_and_counts_as_a_failure(caller: Client, parent: User) -> None:
    device = _pending_device(parent)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    with pytest.raises(ApplicationError) as caught:
        mfa_totp_confirm(client=caller, user=parent, code=wrong)

    assert (caught.value.code, caught.value.refusal, list(caught.value.errors or {})) == (
        "invalid_code",
        Refusal.INVALID,
        ["code"],
    )
    device.refresh_from_db()
    assert device.confirmed is False
    assert BackupCode.objects.filter(user=parent).count() == 0
    assert actions_on(parent)[-1] == "auth.mfa_failed"
    assert last_event(parent, "auth.mfa_failed").data == {"way": "totp"}
    assert failures_counted(parent) == 1


def test_confirm_without_setup_is_a_conflict(caller: Client, parent: User) -> None:
    with pytest.raises(ApplicationError) as caught:
        mfa_totp_confirm(client=caller, user=parent, code="123456")

    assert (caught.value.code, caught.value.refusal) == ("mfa_setup_required", Refusal.CONFLICT)


def test_confirm_when_already_on_is_a_conflict_and_keeps_the_codes(caller: Client, parent: User) -> None:
    device = _pending_device(parent)
    codes = mfa_totp_confirm(client=caller, user=parent, code=totp_code(device))

    with pytest.raises(ApplicationError) as caught:
        mfa_totp_confirm(client=caller, user=parent, code=totp_code(device, steps=1))

    assert (caught.value.code, caught.value.refusal) == ("mfa_already_enabled", Refusal.CONFLICT)
    assert backup_code_use(user=parent, code=codes[0].replace("-", "")) is True


def test_a_malformed_code_is_refused_before_anything_is_checked(caller: Client, parent: User) -> None:
    TOTPDeviceFactory(user=parent, confirmed=False)

    with pytest.raises(ApplicationError) as caught:
        mfa_totp_confirm(client=caller, user=parent, code="12345a")

    assert (caught.value.code, caught.value.refusal, caught.value.errors) == (
        "invalid",
        Refusal.INVALID,
        {"code": ["Enter the 6-digit code from your authenticator app."]},
    )
    assert failures_counted(parent) == 0
