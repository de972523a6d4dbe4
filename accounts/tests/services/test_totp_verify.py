"""A TOTP code is accepted once: replay within its window fails, also when twenty race."""

from __future__ import annotations

import pytest

from accounts.models import TOTPDevice, User
from accounts.services.mfa import totp_verify
from accounts.tests import verified_personas
from accounts.tests.factories import ParentFactory, TOTPDeviceFactory
from accounts.tests.mfa_helpers import totp_code, wait_for_fresh_step
from conftest import race

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.django_db


def test_the_current_code_is_accepted_once(parent: User, device: TOTPDevice) -> None:
    code = totp_code(device)

    assert totp_verify(user=parent, code=code) is True
    assert totp_verify(user=parent, code=code) is False
    device.refresh_from_db()
    assert device.last_t >= 0
    assert device.last_used_at is not None


def test_after_the_next_steps_code_the_current_one_is_dead(parent: User, device: TOTPDevice) -> None:
    current, following = totp_code(device), totp_code(device, steps=1)

    assert totp_verify(user=parent, code=following) is True
    assert totp_verify(user=parent, code=current) is False
    assert totp_verify(user=parent, code=following) is False


def test_the_current_then_the_next_steps_code_both_pass(parent: User, device: TOTPDevice) -> None:
    current, following = totp_code(device), totp_code(device, steps=1)

    assert totp_verify(user=parent, code=current) is True
    assert totp_verify(user=parent, code=following) is True
    assert totp_verify(user=parent, code=current) is False


@pytest.mark.parametrize("steps", [-3, 3])
def test_codes_outside_the_tolerance_fail(parent: User, device: TOTPDevice, steps: int) -> None:
    assert totp_verify(user=parent, code=totp_code(device, steps=steps)) is False
    device.refresh_from_db()
    assert device.last_t == -1


def test_an_unconfirmed_device_does_not_count_at_sign_in(parent: User) -> None:
    pending = TOTPDeviceFactory(user=parent, confirmed=False)
    wait_for_fresh_step(pending)

    assert totp_verify(user=parent, code=totp_code(pending)) is False
    assert totp_verify(user=parent, code=totp_code(pending), confirmed=False) is True


def test_another_users_code_does_not_pass(parent: User, device: TOTPDevice) -> None:
    other = TOTPDeviceFactory(user=ParentFactory())

    assert totp_verify(user=parent, code=totp_code(other)) is False  # a chance collision: ~3 in a million


def test_repeated_failures_do_not_throttle_the_device_itself(parent: User, device: TOTPDevice) -> None:
    """Brute force is stopped per account + address (axes), not by a device-wide lock anyone could trip."""
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert totp_verify(user=parent, code=wrong) is False

    assert totp_verify(user=parent, code=totp_code(device)) is True


@pytest.mark.django_db(transaction=True)
def test_twenty_racing_submissions_of_one_code_succeed_once() -> None:
    user = ParentFactory()
    device = TOTPDeviceFactory(user=user)
    wait_for_fresh_step(device)
    code = totp_code(device)

    results = race(20, lambda: totp_verify(user=user, code=code))

    assert len(results) == 20
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert results.count(True) == 1
    device.refresh_from_db()
    assert device.last_t >= 0
