"""Tables of the devices subdomain: push registration tokens, and phone-number verification by SMS."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["Device", "PhoneVerification"]

# FCM registration tokens run to about 200 characters; the cap keeps the unique index well
# inside PostgreSQL's b-tree row limit.
TOKEN_MAX_LENGTH = 1024


class Device(models.Model):
    """An app installation that receives pushes: one FCM registration token, owned by one user.

    A token names a device, not a person: when someone else signs in on the
    device and registers it, the row moves to them (the token is unique).
    """

    class Platform(models.TextChoices):
        IOS = "ios", "iOS"
        ANDROID = "android", "Android"
        WEB = "web", "Web"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices")
    token = models.CharField(max_length=TOKEN_MAX_LENGTH, unique=True)
    platform = models.CharField(max_length=10, choices=Platform.choices)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, help_text="When the app last registered the token.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(platform__in=["ios", "android", "web"]), name="messaging_device_platform_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="messaging_device_user_seen")]
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.platform} device of {self.user_id}"


class PhoneVerification(models.Model):
    """One SMS code sent to prove a number is the user's. Only the latest row of a user counts.

    The code is stored only as a password hash. ``attempts`` counts wrong
    codes; at the limit the row is dead and a new code must be asked for.
    ``verified_at`` set means this number was proven at that time.
    """

    MAX_ATTEMPTS = 5

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_verifications")
    phone = models.CharField(max_length=20, help_text="E.164")
    code_hash = models.CharField(max_length=256)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attempts__lte=5), name="messaging_phoneverification_attempts_capped"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="messaging_phoneverification_expires_after_creation",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="messaging_phonever_user_time")]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"phone verification {self.pk}"
