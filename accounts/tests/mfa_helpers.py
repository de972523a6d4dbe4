"""What the MFA tests share: the parent's authenticator, the codes it would show, and small readers."""

from __future__ import annotations

import time

import pytest
from axes.models import AccessAttempt
from django_otp.oath import totp
from rest_framework.test import APIClient

from accounts.models import TOTPDevice, User
from accounts.tests.factories import TOTPDeviceFactory
from conftest import client_for
from guardiannest.audit.models import AuditEvent
from guardiannest.client import Client


@pytest.fixture
def device(parent: User) -> TOTPDevice:
    """The parent persona's confirmed authenticator, with a few seconds left in the current step."""
    created: TOTPDevice = TOTPDeviceFactory(user=parent)
    wait_for_fresh_step(created)
    return created


@pytest.fixture
def mfa_parent_api(parent: User, device: TOTPDevice) -> APIClient:
    return client_for(parent)


@pytest.fixture
def caller() -> Client:
    """Who calls, as the services receive it from a view: an address and a browser."""
    return Client(ip="127.0.0.1", user_agent="pytest")


def device_of(user: User) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)


def totp_code(device: TOTPDevice, *, steps: int = 0) -> str:
    """The code the app shows now (``steps=1``: the next time step, ``-1``: the previous one)."""
    value = totp(bytes.fromhex(device.key), step=device.step, t0=device.t0, digits=device.digits, drift=steps)
    return f"{value:0{device.digits}d}"


def wait_for_fresh_step(device: TOTPDevice, *, at_least: float = 4.0) -> None:
    """Sleep into the next time step when fewer than ``at_least`` seconds of this one are left.

    Tests that name a code by its distance from "now" would otherwise flake
    when the step turns between computing the code and checking it.
    """
    left = device.step - ((time.time() - device.t0) % device.step)
    if left < at_least:
        time.sleep(left + 0.05)


def backup_codes_for(user: User) -> list[str]:
    """A fresh set of backup codes as the user sees them, without the TOTP round trip of the API."""
    from accounts.services.mfa import _backup_codes_replace

    return _backup_codes_replace(user=user)


def actions_on(user: User) -> list[str]:
    """Audit actions whose target is ``user``, oldest first."""
    return list(
        AuditEvent.objects.filter(target_type="accounts.user", target_id=str(user.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def last_event(user: User, action: str) -> AuditEvent:
    return AuditEvent.objects.filter(target_id=str(user.pk), action=action).latest("id")


def failures_counted(user: User) -> int:
    """Failed attempts axes holds against this account (all addresses)."""
    return sum(AccessAttempt.objects.filter(username=user.email).values_list("failures_since_start", flat=True))
