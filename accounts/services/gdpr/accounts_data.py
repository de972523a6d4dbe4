"""The "accounts" part of every export and every erasure, registered in ``AccountsConfig.ready``."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db import models, transaction

from accounts.models import BackupCode, DataExport, FirebaseIdentity, Passkey, TOTPDevice, User, UserSession
from accounts.services.gdpr.exports import delete_files
from guardiannest.audit.selectors import audit_event_list_for_user

# The person's ways to sign in besides the authenticator app, each with the columns they see in their
# export (keys, hashes, salts, credential ids and Firebase uids never leave); every row goes on erasure.
# A new table of this kind is added here (accounts/tests/services/test_gdpr_tables_covered.py fails until it is).
# Family data has its own exporter and eraser ("family", accounts/services/family.py).
SIGN_IN_TABLES: tuple[tuple[type[models.Model], tuple[str, ...]], ...] = (
    (BackupCode, ("id", "created_at", "used_at")),
    (Passkey, ("id", "name", "transports", "aaguid", "backed_up", "created_at", "last_used_at")),
    (FirebaseIdentity, ("id", "provider", "created_at", "last_used_at")),
)


def _rows(model: type[models.Model], fields: tuple[str, ...], user: User) -> list[dict[str, Any]]:
    """The user's rows of a table, those columns only, read through the instance (which decrypts)."""
    return [
        {name: getattr(row, name) for name in fields} for row in model._default_manager.filter(user=user).order_by("pk")
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
            for device in TOTPDevice.objects.filter(user=user).order_by("pk")
        ]
    }
    for model, fields in SIGN_IN_TABLES:
        devices[model._meta.label_lower] = _rows(model, fields, user)
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

    Deletes exports (their files after commit), the authenticator app, and
    every table of ``SIGN_IN_TABLES`` (backup codes, passkeys, Firebase links); keeps the ended sessions without
    their addresses and browsers; drops the lockout records, which name the
    account by its email. Runs before the user row is anonymised.
    """
    files = [name for name in DataExport.objects.filter(user=user).values_list("file_name", flat=True) if name]
    DataExport.objects.filter(user=user).delete()
    if files:
        transaction.on_commit(lambda: delete_files(files))
    TOTPDevice.objects.filter(user=user).delete()
    for model, _ in SIGN_IN_TABLES:
        model._default_manager.filter(user=user).delete()
    UserSession.objects.filter(user=user).update(ip=None, user_agent="")
    for log in (AccessAttempt, AccessFailureLog, AccessLog):
        log.objects.filter(username=user.email).delete()
