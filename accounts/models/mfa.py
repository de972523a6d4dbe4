"""Tables of the mfa subdomain, and what "MFA is on" means.

The authenticator itself is django-otp's ``TOTPDevice``. Backup codes are ours:
django-otp's ``StaticToken`` keeps them in plaintext, so a database dump would
hand out second factors. Here only a salted, keyed hash is stored.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django_otp.plugins.otp_totp.models import TOTPDevice

__all__ = ["BackupCode"]


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
