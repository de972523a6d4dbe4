"""Reads of the devices subdomain: where a push can go, and which phone numbers an account proved.

A user sees only their own devices; anyone else's is "not found". The
``*_for_users`` reads serve :func:`messaging.services.notifications.notify_bulk`,
one query each however many people a batch reaches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from accounts.models import User
from guardiannest.errors import not_found
from messaging.models.devices import Device, PhoneVerification


def device_list_for_user(*, user: User) -> QuerySet[Device]:
    """The devices a push to ``user`` goes to, most recently seen first."""
    return Device.objects.filter(user=user).order_by("-last_seen_at")


def device_get_for_user(*, device_id: UUID, user: User) -> Device:
    """The user's own device; anyone else's is simply not found."""
    device = Device.objects.filter(pk=device_id, user=user).first()
    if device is None:
        raise not_found()
    return device


@dataclass(frozen=True)
class PushTarget:
    token: str
    platform: str


def push_targets_for_users(*, user_ids: Iterable[Any]) -> dict[Any, list[PushTarget]]:
    """The registered push tokens of each user (``POST devices``), in one query."""
    targets: dict[Any, list[PushTarget]] = {}
    for user_id, token, platform in Device.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "token", "platform"
    ):
        targets.setdefault(user_id, []).append(PushTarget(token=token, platform=platform))
    return targets


def verified_phones_for_users(*, user_ids: Iterable[Any]) -> set[tuple[Any, str]]:
    """``(user id, number)`` pairs proven by an SMS code, in one query.

    An SMS only goes to a number its account proved (SMS cost money and can be
    aimed at someone else's phone). A verification counts only for the number
    the account has now, which the caller compares (as
    :func:`messaging.services.phone.phone_verified_at` does for one user).
    """
    rows = PhoneVerification.objects.filter(user_id__in=list(user_ids), verified_at__isnull=False)
    return set(rows.values_list("user_id", "phone").distinct())
