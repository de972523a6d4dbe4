"""Preferences per category and channel, and the one-click unsubscribe link.

Stored as overrides of the defaults (see :func:`messaging.selectors.notifications.effective_preferences`).
Account and emergency messages cannot be switched off; marketing is opt-in and
never goes by SMS. A change is refused as a whole, with every offending key
named, so a client never half-applies a form.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction

from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, ErrorCode, ErrorCodes
from messaging.errors import NotificationError
from messaging.kinds import MANDATORY_CATEGORIES, NEVER, Category, Channel
from messaging.models.notifications import NotificationPreference
from messaging.selectors.notifications import Preferences, effective_preferences

UNSUBSCRIBE_SALT = "messaging.unsubscribe"


def unsubscribe_token(*, user_id: Any, category: str) -> str:
    """A signed, non-expiring token that switches one category's email off for one user."""
    return signing.dumps({"u": str(user_id), "c": category}, salt=UNSUBSCRIBE_SALT)


def _invalid(detail: str, errors: dict[str, list[str]], code: ErrorCodes = ErrorCode.INVALID) -> ApplicationError:
    """Bad input naming every offending key, with one summary ``detail`` (however many keys there are)."""
    return ApplicationError(code, detail, errors=errors)


def _validate_changes(changes: Mapping[str, Mapping[str, bool]]) -> None:
    categories, channels = {c.value for c in Category}, {c.value for c in Channel}
    unknown: dict[str, list[str]] = {}
    for category, values in changes.items():
        if category not in categories:
            unknown[f"preferences.{category}"] = [f"Unknown category {category!r}."]
            continue
        for channel in values:
            if channel not in channels:
                unknown[f"preferences.{category}.{channel}"] = [f"Unknown channel {channel!r}."]
    if unknown:
        names = ", ".join(key.removeprefix("preferences.") for key in unknown)
        raise _invalid(f"Unknown categories or channels: {names}.", unknown)
    locked = {
        f"preferences.{category}.{channel}": [f"{category} messages cannot be switched off."]
        for category, values in changes.items()
        if Category(category) in MANDATORY_CATEGORIES
        for channel, on in values.items()
        if not on
    }
    if locked:
        raise _invalid(
            "Account and emergency messages cannot be switched off.", locked, NotificationError.CANNOT_DISABLE
        )
    never = {
        f"preferences.{category}.{channel}": [f"{category} messages are never sent by {channel}."]
        for category, values in changes.items()
        for channel, on in values.items()
        if on and Channel(channel) in NEVER.get(Category(category), frozenset())
    }
    if never:
        raise _invalid("Some channels are never used for these categories.", never)


def preferences_update(*, user: Any, changes: Mapping[str, Mapping[str, bool]], actor: Any = None) -> Preferences:
    """Apply ``{category: {channel: bool}}`` and answer the preferences now in force.

    Refused as a whole (bad input, nothing stored) when a category or channel is
    unknown, when it would switch off an account or emergency channel
    (``cannot_disable``), or switch on a channel a category never uses.
    """
    _validate_changes(changes)
    with transaction.atomic():
        NotificationPreference.objects.get_or_create(user=user)
        preference = NotificationPreference.objects.select_for_update().get(user=user)
        merged: dict[str, Any] = copy.deepcopy(preference.overrides or {})
        changed: dict[str, bool] = {}
        before = effective_preferences(merged)
        for category, values in changes.items():
            if Category(category) in MANDATORY_CATEGORIES:
                continue  # always on: nothing to store
            for channel, on in values.items():
                merged.setdefault(category, {})[channel] = on
                if before[category][channel] != on:
                    changed[f"{category}.{channel}"] = on
        if merged != preference.overrides:
            preference.overrides = merged
            preference.save(update_fields=["overrides", "updated_at"])
        if changed:
            audit_record(
                action="notification.preferences_changed", actor=actor or user, target=user, data={"changes": changed}
            )
    return effective_preferences(merged)


def preferences_unsubscribe(*, token: str) -> str:
    """One-click unsubscribe (RFC 8058): the signed token is the credential. Returns the category.

    Marketing stops on every channel (it was opt-in); other categories stop by
    email, where the link was. A bad or foreign token is bad input (``invalid_token``).
    """
    try:
        claims = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, category = str(claims["u"]), Category(claims["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise _invalid(
            "This unsubscribe link is not valid.", {"token": ["Invalid link."]}, NotificationError.INVALID_TOKEN
        ) from None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or category in MANDATORY_CATEGORIES:
        raise _invalid(
            "This unsubscribe link is not valid.", {"token": ["Invalid link."]}, NotificationError.INVALID_TOKEN
        )
    blocked = NEVER.get(category, frozenset())
    if category is Category.MARKETING:
        off = {channel.value: False for channel in Channel if channel not in blocked}
    else:
        off = {Channel.EMAIL.value: False}
    preferences_update(user=user, changes={category.value: off}, actor=user)
    return category.value
