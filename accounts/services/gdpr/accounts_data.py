"""The "accounts" part of every export and every erasure, registered in ``AccountsConfig.ready``."""

from __future__ import annotations

import importlib
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django_otp import devices_for_user

from accounts.models import DataExport, User, UserSession
from accounts.services.gdpr.exports import delete_files
from guardiannest.audit.selectors import audit_event_list_for_user

# Subdomain modules of accounts whose tables hang off the user and hold nothing but the person's ways
# to sign in: exported by an allow-list of columns (their secrets stay here), deleted on erasure.
# Family data has its own exporter and eraser ("family", accounts/services/family.py).
DEVICE_SUBDOMAINS = ("mfa", "passkeys", "firebase")
OwnedModel = tuple[type[models.Model], list[str]]
# The columns of those tables a person sees in their export; secrets (keys, hashes, uids) never.
DEVICE_EXPORT_FIELDS = (
    "id",
    "aaguid",
    "name",
    "label",
    "nickname",
    "provider",
    "sign_in_provider",
    "transports",
    "device_type",
    "backed_up",
    "confirmed",
    "created_at",
    "linked_at",
    "last_used_at",
    "used_at",
)


def _owned_models() -> list[OwnedModel]:
    """(model, its fields to the user) of every table the owned subdomain modules list in ``__all__``.

    Looked up by name, not imported, so a subdomain being built elsewhere is
    picked up when it lands and ignored until then.
    """
    user_model = get_user_model()
    found: list[OwnedModel] = []
    for subdomain in DEVICE_SUBDOMAINS:
        module = importlib.import_module(f"accounts.models.{subdomain}")
        for name in getattr(module, "__all__", []):
            model = getattr(module, name, None)
            if not isinstance(model, type) or not issubclass(model, models.Model) or model._meta.abstract:
                continue
            links = [
                field.name
                for field in model._meta.get_fields()
                if (field.many_to_one or field.one_to_one) and field.concrete and field.related_model is user_model
            ]
            if links:
                found.append((model, links))
    return found


def _rows(model: type[models.Model], owner: str, user: User) -> list[dict[str, Any]]:
    """The user's rows of a table, allow-listed columns only, read through the instance (which decrypts)."""
    fields = [field for field in model._meta.concrete_fields if field.name in DEVICE_EXPORT_FIELDS]
    return [
        {field.name: getattr(row, field.attname) for field in fields}
        for row in model._default_manager.filter(**{owner: user}).order_by("pk")
    ]


def accounts_export(user: User) -> dict[str, Any]:
    """The "accounts" part of an export: profile, ways to sign in, sessions and the account's audit trail.

    Audit events done to the account by someone else name neither them nor
    their address, as on the security screen.
    """
    profile_fields = ("id", "email", "role", "first_name", "last_name", "phone", "email_verified_at")
    profile = {name: getattr(user, name) for name in profile_fields}
    profile.update(date_joined=user.date_joined, last_login=user.last_login, mfa_enabled=user.mfa_enabled)
    sessions = list(
        UserSession.objects.filter(user=user)
        .order_by("created_at")
        .values("id", "created_at", "last_used_at", "ip", "user_agent", "method", "ended_at", "end_reason")
    )
    devices: dict[str, list[dict[str, Any]]] = {
        "otp": [
            {"type": device._meta.model_name, "name": device.name, "confirmed": device.confirmed}
            for device in devices_for_user(user, confirmed=None)
        ]
    }
    for model, links in _owned_models():
        devices[model._meta.label_lower] = _rows(model, "user" if "user" in links else links[0], user)
    events = []
    for event in audit_event_list_for_user(user=user).order_by("id"):
        own = event.actor_id == user.pk
        by = "you" if own else ("system" if event.actor_id is None else "someone_else")
        events.append(
            {
                "created_at": event.created_at,
                "action": event.action,
                "by": by,
                "ip": event.ip if own else None,
                "data": event.data if own else {},
            }
        )
    exports = list(DataExport.objects.filter(user=user).values("id", "status", "created_at", "completed_at"))
    return {
        "profile": profile,
        "sessions": sessions,
        "devices": devices,
        "data_exports": exports,
        "audit_events": events,
    }


def accounts_erase(user: User) -> None:
    """The "accounts" part of an erasure: everything of the person in this app but the user row and audit trail.

    Deletes exports (their files after commit), one-time-password devices,
    passkeys and Firebase links; keeps the ended sessions without
    their addresses and browsers; drops the lockout records, which name the
    account by its email. Runs before the user row is anonymised.
    """
    files = [name for name in DataExport.objects.filter(user=user).values_list("file_name", flat=True) if name]
    DataExport.objects.filter(user=user).delete()
    if files:
        transaction.on_commit(lambda: delete_files(files))
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    for model, links in _owned_models():
        for field in links:
            model._default_manager.filter(**{field: user}).delete()
    UserSession.objects.filter(user=user).update(ip=None, user_agent="")
    for log in (AccessAttempt, AccessFailureLog, AccessLog):
        log.objects.filter(username=user.email).delete()
