"""Backup codes: hashed, single use (also when twenty race), and a new set kills the old one."""

from __future__ import annotations

import pytest

from accounts.models import BackupCode, TOTPDevice, User
from accounts.selectors.mfa import mfa_backup_codes_remaining
from accounts.services.mfa import (
    backup_code_use,
    mfa_backup_codes_regenerate,
    mfa_totp_confirm,
    mfa_totp_setup,
)
from accounts.tests import verified_personas
from accounts.tests.factories import ParentFactory
from accounts.tests.mfa_helpers import failures_counted, last_event, totp_code, wait_for_fresh_step
from conftest import race
from guardiannest.client import Client
from guardiannest.errors import ApplicationError, Refusal

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db


def _enable(client: Client, user: User) -> tuple[TOTPDevice, list[str]]:
    mfa_totp_setup(user=user)
    device = TOTPDevice.objects.get(user=user)
    wait_for_fresh_step(device)
    return device, mfa_totp_confirm(client=client, user=user, code=totp_code(device))


def test_each_backup_code_signs_in_once(caller: Client, parent: User) -> None:
    _, codes = _enable(caller, parent)

    assert backup_code_use(user=parent, code=codes[0].replace("-", "")) is True
    assert backup_code_use(user=parent, code=codes[0].replace("-", "")) is False
    assert backup_code_use(user=parent, code=codes[1].replace("-", "")) is True
    assert mfa_backup_codes_remaining(user=parent) == 8


def test_a_code_of_another_account_does_not_pass(caller: Client, parent: User) -> None:
    _, codes = _enable(caller, parent)
    other = ParentFactory()
    _, other_codes = _enable(caller, other)

    assert backup_code_use(user=parent, code=other_codes[0].replace("-", "")) is False
    assert backup_code_use(user=other, code=codes[0].replace("-", "")) is False
    assert mfa_backup_codes_remaining(user=parent) == mfa_backup_codes_remaining(user=other) == 10


def test_regenerating_kills_the_old_set(caller: Client, parent: User) -> None:
    device, old = _enable(caller, parent)
    backup_code_use(user=parent, code=old[0].replace("-", ""))

    new = mfa_backup_codes_regenerate(client=caller, user=parent, code=totp_code(device, steps=1))

    assert len(new) == 10 and not set(new) & set(old)
    assert all(backup_code_use(user=parent, code=code.replace("-", "")) is False for code in old)
    assert backup_code_use(user=parent, code=new[0].replace("-", "")) is True
    assert BackupCode.objects.filter(user=parent).count() == 10
    assert last_event(parent, "mfa.backup_codes_regenerated").actor_id == parent.pk


def test_regenerating_needs_a_fresh_totp_code(caller: Client, parent: User) -> None:
    device, old = _enable(caller, parent)  # the current step is spent by the confirmation

    with pytest.raises(ApplicationError) as caught:
        mfa_backup_codes_regenerate(client=caller, user=parent, code=totp_code(device))

    assert (caught.value.code, caught.value.refusal) == ("invalid_code", Refusal.INVALID)
    assert backup_code_use(user=parent, code=old[0].replace("-", "")) is True
    assert failures_counted(parent) == 1


def test_regenerating_without_mfa_is_a_conflict(caller: Client, parent: User) -> None:
    with pytest.raises(ApplicationError) as caught:
        mfa_backup_codes_regenerate(client=caller, user=parent, code="123456")

    assert (caught.value.code, caught.value.refusal) == ("mfa_not_enabled", Refusal.CONFLICT)


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_submissions_of_one_backup_code_succeed_once() -> None:
    user = ParentFactory()
    _, codes = _enable(Client(ip="127.0.0.1"), user)
    code = codes[3].replace("-", "")

    results = race(20, lambda: backup_code_use(user=user, code=code))

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert results.count(True) == 1
    assert BackupCode.objects.filter(user=user, used_at__isnull=False).count() == 1
