"""Push devices: register a token, remove one, and drop a token FCM no longer knows.

A registration token names an app installation. Registering it again (the app
does so on every start and whenever FCM rotates it) refreshes ``last_seen_at``;
registering it from another account moves the row to that account, since the
device now belongs to whoever signed in on it. No token is ever written to an
audit event or a log: a token is enough to address pushes to the device.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from guardiannest.audit.services import audit_record
from messaging.models import Device
from messaging.selectors.devices import device_get_for_user, device_list_for_user

logger = structlog.get_logger("messaging.devices")


def _claim(*, user: User, token: str, platform: str) -> tuple[Device, bool, bool]:
    """(device, created, moved) with the token's row locked, created when new."""
    device = Device.objects.select_for_update().filter(token=token).first()
    if device is None:
        try:
            with transaction.atomic():  # a savepoint: a racing registration of the same token may win
                return Device.objects.create(user=user, token=token, platform=platform), True, False
        except IntegrityError:
            device = Device.objects.select_for_update().get(token=token)
    moved = device.user_id != user.pk
    device.user, device.platform, device.last_seen_at = user, platform, timezone.now()
    device.save(update_fields=["user", "platform", "last_seen_at"])
    return device, False, moved


@transaction.atomic
def device_register(*, user: User, token: str, platform: str) -> Device:
    """Register ``token`` for ``user``: one row per token, whoever had it before."""
    device, created, moved = _claim(user=user, token=token, platform=platform)
    if created or moved:
        audit_record(
            action="device.registered",
            actor=user,
            target=device,
            data={"platform": platform, "moved": moved},
        )
    return device


@transaction.atomic
def device_delete(*, device_id: UUID, user: User) -> None:
    """Forget one of the user's devices (signing out of the app); another user's is not found."""
    device = device_get_for_user(device_id=device_id, user=user)
    platform, pk = device.platform, device.pk
    device.delete()
    audit_record(
        action="device.deleted", actor=user, target_type="messaging.device", target_id=pk, data={"platform": platform}
    )


def device_remove_token(*, token: str) -> bool:
    """Drop a token FCM reported unregistered or invalid; True when a row went.

    Called by the delivery task on :class:`~messaging.providers.base.AddressGone`.
    Idempotent: a token already gone is not an error.
    """
    deleted, _ = Device.objects.filter(token=token).delete()
    if deleted:
        logger.info("device_token_removed")
    return bool(deleted)


def devices_export(user: Any) -> dict[str, Any]:
    """GDPR export: the user's devices, without their tokens (they address the device, not the person)."""
    return {
        "devices": [
            {"id": str(device.pk), "platform": device.platform, "created_at": device.created_at.isoformat()}
            for device in device_list_for_user(user=user)
        ]
    }


def devices_erase(user: Any) -> None:
    """GDPR erasure: no push goes to an erased account."""
    Device.objects.filter(user=user).delete()
