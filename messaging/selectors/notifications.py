"""Reads of the notifications subdomain: who sees which notification, and who wants what.

Preferences are stored as overrides of the defaults; :func:`effective_preferences`
is the one place that turns them into what applies, so the API, ``notify``
and the unsubscribe link agree on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from guardiannest.errors import not_found
from messaging.kinds import MANDATORY_CATEGORIES, NEVER, OPT_IN_CATEGORIES, Category, Channel
from messaging.models.notifications import Delivery, Notification, NotificationPreference

Preferences = dict[str, dict[str, bool]]


def default_preferences() -> Preferences:
    """Everything on, except what needs an opt-in (marketing) and what a category never uses."""
    return {
        category.value: {
            channel.value: category not in OPT_IN_CATEGORIES and channel not in NEVER.get(category, frozenset())
            for channel in Channel
        }
        for category in Category
    }


def effective_preferences(overrides: dict[str, Any] | None) -> Preferences:
    """Defaults, then the user's overrides; mandatory categories stay on and never-channels stay off.

    Overrides are read defensively (a stored key that is no longer a category
    or channel is ignored) because the JSON column outlives code changes.
    """
    result = default_preferences()
    for category, channels in (overrides or {}).items():
        if category not in result or not isinstance(channels, dict):
            continue
        for channel, value in channels.items():
            if channel in result[category] and isinstance(value, bool):
                result[category][channel] = value
    for category in MANDATORY_CATEGORIES:
        result[category.value] = dict.fromkeys(result[category.value], True)
    for category, channels in NEVER.items():
        for channel in channels:
            result[category.value][channel.value] = False
    return result


def preferences_get(*, user: Any) -> Preferences:
    overrides = NotificationPreference.objects.filter(user=user).values_list("overrides", flat=True).first()
    return effective_preferences(overrides)


def preference_overrides_for_users(*, user_ids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
    """Stored overrides by user id, in one query (users who never chose anything are absent)."""
    rows = NotificationPreference.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "overrides")
    return dict(rows)


def notification_list_for_user(*, user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at")


def notification_get_for_user(*, notification_id: UUID, user: Any) -> Notification:
    """The user's own notification; someone else's is not found, like one that does not exist."""
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise not_found()
    return notification


def delivery_list_for_notifications(*, notification_ids: Iterable[Any]) -> list[dict[str, Any]]:
    """Every outbox row of these notifications, oldest first: each attempt's channel and provider status.

    For an app that keeps its own record of what it sent (an emergency's
    timeline); the address and the message stay here.
    """
    ids = list(notification_ids)
    if not ids:
        return []
    rows = Delivery.objects.filter(notification_id__in=ids).order_by("created_at", "delivery_key")
    return [
        {
            "id": str(row.pk),
            "notification_id": str(row.notification_id),
            "channel": row.channel,
            "status": row.status,
            "attempts": row.attempts,
            "provider": row.provider,
            "provider_id": row.provider_id,
            "error": row.last_error,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
            "sent_at": row.sent_at,
        }
        for row in rows.only(
            "id",
            "notification_id",
            "channel",
            "status",
            "attempts",
            "provider",
            "provider_id",
            "last_error",
            "created_at",
            "updated_at",
            "sent_at",
            "delivery_key",
        )
    ]
