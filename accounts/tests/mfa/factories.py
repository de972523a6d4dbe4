"""Users with a second factor, and the codes their authenticator app would show.

``MfaParentFactory()`` (or ``TOTPDeviceFactory(user=someone)``) gives an account
that signs in with MFA on, as the login benchmark and other apps' tests need.
"""

from __future__ import annotations

import time

import factory
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.tests.factories import ParentFactory, StaffFactory


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """A confirmed authenticator (pass ``confirmed=False`` for one still being set up)."""

    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(ParentFactory)
    name = "authenticator"
    confirmed = True


class MfaParentFactory(ParentFactory):
    """A parent with MFA on: ``user.totpdevice_set.get()`` is the device."""

    device = factory.RelatedFactory(TOTPDeviceFactory, factory_related_name="user")


class MfaStaffFactory(StaffFactory):
    device = factory.RelatedFactory(TOTPDeviceFactory, factory_related_name="user")


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
