"""Tables of the mfa subdomain, and what "MFA is on" means.

The authenticator is :class:`TOTPDevice`, a django-otp ``Device`` (so the
OTP admin login, ``devices_for_user`` and ``persistent_id`` work as with
django-otp's own TOTP plugin) whose shared secret is encrypted at rest
(AES-256-GCM bound to the row, see :mod:`guardiannest.crypto.fields`):
django-otp's ``otp_totp`` table kept it as plain hex, so a database dump
handed out every second factor. Backup codes are ours for the same reason:
django-otp's ``StaticToken`` keeps them in plaintext; here only a salted,
keyed hash is stored.
"""

from __future__ import annotations

import secrets
import time
import uuid
from binascii import unhexlify
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django_otp.models import Device, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import hex_validator, random_hex

from accounts.auth_snapshot import InvalidatingQuerySet
from guardiannest.crypto.fields import EncryptedCharField

__all__ = ["BackupCode", "TOTPDevice"]

TOTP_KEY_BYTES = 20


def default_key() -> str:
    """A fresh 160-bit secret as hex (RFC 4226's recommended length), as django-otp makes them."""
    return str(random_hex(TOTP_KEY_BYTES))


def random_device_id() -> int:
    """A random positive 63-bit id, known before the INSERT (the key is sealed to it).

    Not a UUID: django-otp names a device ``<app>.<model>/<id>`` in the admin
    session and reads the id back with ``int()``.
    """
    return secrets.randbelow(2**63 - 1) + 1


def key_validator(value: str) -> None:
    hex_validator()(value)


class TOTPDeviceManager(models.Manager["TOTPDevice"]):
    """What django-otp's ``DeviceManager`` offers (``devices_for_user``, used by ``django_otp.devices_for_user``).

    Bulk writes make the user's authentication snapshots stale (``accounts.auth_snapshot``).
    """

    def get_queryset(self) -> InvalidatingQuerySet:
        return InvalidatingQuerySet(self.model, using=self._db)

    def devices_for_user(self, user: Any, confirmed: bool | None = None) -> models.QuerySet[TOTPDevice]:
        devices = self.filter(user=user)
        return devices if confirmed is None else devices.filter(confirmed=bool(confirmed))


class TOTPDevice(TimestampMixin, Device):
    """An authenticator app: django-otp's TOTP fields and algorithm, with the secret encrypted.

    ``key`` is the hex secret as django-otp keeps it, sealed to this row; read
    it as ``bin_key``. The API and the admin check codes through
    ``accounts.services.mfa`` (under a row lock, counted per account and
    address); :meth:`verify_token` is django-otp's rule for any other caller.
    There is no device-wide throttle on purpose: anyone who knows the password
    could trip it and lock the owner out.
    """

    id = models.BigIntegerField(primary_key=True, default=random_device_id, editable=False)
    key = EncryptedCharField(
        max_length=80,
        validators=[key_validator],
        default=default_key,
        help_text="A hex-encoded secret key of up to 40 bytes (encrypted at rest).",
    )
    step = models.PositiveSmallIntegerField(default=30, help_text="The time step in seconds.")
    t0 = models.BigIntegerField(default=0, help_text="The Unix time at which to begin counting steps.")
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1, help_text="Time steps in the past or future to allow.")
    drift = models.SmallIntegerField(default=0, help_text="Time steps the app is known to be off our clock.")
    last_t = models.BigIntegerField(default=-1, help_text="The time step of the last accepted code.")

    objects = TOTPDeviceManager()
    # django-otp is untyped, so the mypy plugin cannot see Device is a model: say what Django sets.
    _default_manager: ClassVar[TOTPDeviceManager]

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    @property
    def bin_key(self) -> bytes:
        """The secret as bytes (what the TOTP algorithm and the otpauth URI use)."""
        return unhexlify(self.key.encode())

    def verify_token(self, token: Any) -> bool:
        """django-otp's check: a code of a step after ``last_t`` within ``tolerance``; spends that step."""
        try:
            code = int(token)
        except (TypeError, ValueError):
            return False
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        if not totp.verify(code, self.tolerance, self.last_t + 1):
            return False
        self.last_t = totp.t()
        if getattr(settings, "OTP_TOTP_SYNC", True):
            self.drift = totp.drift
        self.set_last_used_timestamp(commit=False)
        self.save(update_fields=["last_t", "drift", "last_used_at"])
        return True


def mfa_devices() -> models.QuerySet[TOTPDevice]:
    """The devices that turn MFA on: an authenticator whose first code was confirmed.

    The one definition of "MFA is on". ``User.mfa_enabled`` asks it, the query
    that loads the user for API authentication is compiled from it
    (``UserManager.get_for_authentication``), and sign-in and the MFA services
    read ``User.mfa_enabled``. Backup codes and passkeys do not turn it on.
    """
    return TOTPDevice.objects.filter(confirmed=True)


class BackupCode(models.Model):
    """One single-use recovery code for signing in without the authenticator.

    ``code_hash`` is HMAC-SHA256 under a server-held key (see
    ``accounts.services.mfa``) of the random ``salt``, the user id and the
    normalised code, so a leaked table reveals nothing a guess could be checked
    against offline. A code is spent by setting ``used_at`` with a conditional
    update; regenerating deletes the whole set.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backup_codes")
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"], name="accounts_backupcode_user_used")]

    def __str__(self) -> str:
        return f"backup code of {self.user_id} ({'used' if self.used_at else 'unused'})"
