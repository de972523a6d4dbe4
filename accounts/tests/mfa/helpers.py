"""Small readers shared by the MFA tests."""

from __future__ import annotations

from axes.models import AccessAttempt

from accounts.models import User
from guardiannest.audit.models import AuditEvent


def actions_on(user: User) -> list[str]:
    """Audit actions whose target is ``user``, oldest first."""
    return list(
        AuditEvent.objects.filter(target_type="accounts.user", target_id=str(user.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def last_event(user: User, action: str) -> AuditEvent:
    return AuditEvent.objects.filter(target_id=str(user.pk), action=action).latest("id")


def failures_counted(user: User) -> int:
    """Failed attempts axes holds against this account (all addresses)."""
    return sum(AccessAttempt.objects.filter(username=user.email).values_list("failures_since_start", flat=True))
