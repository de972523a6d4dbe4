"""The ``mfa_changed`` email: the owner hears of every change to the ways into their account beyond the password.

Turning two-step sign-in on or off, new backup codes, a passkey added or
removed, a Firebase sign-in linked (or trusted again) or unlinked: whoever made
the change (the owner, or staff in the admin), the owner is told, with a way
back if it was not them. The email leaves from a worker once the change has
committed (a refused change sends nothing), through the one path of account
emails (``accounts.emails``). An account made by a first Firebase sign-in gets
no such email: it had no way in before that one.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.emails import change_notice_send
from accounts.models import User


class SignInChange(StrEnum):
    """What changed; each has its sentence in ``email/mfa_changed.*``."""

    TOTP_ENABLED = "totp_enabled"
    TOTP_DISABLED = "totp_disabled"
    BACKUP_CODES_REGENERATED = "backup_codes_regenerated"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REMOVED = "passkey_removed"
    FIREBASE_LINKED = "firebase_linked"
    FIREBASE_UNLINKED = "firebase_unlinked"
    # Not a change the owner made: the per-account ceiling of wrong codes was reached (``accounts.services.mfa``).
    MFA_GUESSING_STOPPED = "mfa_guessing_stopped"


def mfa_changed_notify(*, user: User, change: SignInChange) -> None:
    """Queue the email to ``user`` for when the caller's transaction commits."""
    from accounts.tasks.emails import mfa_changed_email_send_task

    transaction.on_commit(
        partial(mfa_changed_email_send_task.delay, str(user.pk), change.value, timezone.now().isoformat())
    )


def mfa_changed_email_send(*, user_id: uuid.UUID | str, change: str, changed_at: str) -> bool:
    """Send it unless the account is gone or inactive meanwhile; True when sent."""
    return change_notice_send(
        user_id=user_id, kind="mfa_changed", changed_at=changed_at, change=SignInChange(change).value
    )
