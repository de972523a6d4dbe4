"""Reads of verification: a sitter's state, the staff queue, and which user a staff route names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from accounts.models import Role, User
from guardiannest.errors import not_found
from sitters.models import CheckKind, CheckStatus, SitterProfile, VerificationCheck, VerificationStatus


@dataclass(frozen=True)
class VerificationState:
    """What the sitter (and staff) see: the overall status and the current check of each kind."""

    verification_status: str
    verified_at: datetime | None
    checks: list[VerificationCheck]


def verification_latest_checks(*, sitter_id: UUID) -> dict[str, VerificationCheck]:
    """The newest check of each kind (a kind never checked is absent)."""
    latest: dict[str, VerificationCheck] = {}
    for check in VerificationCheck.objects.filter(sitter_id=sitter_id).order_by("-submitted_at"):
        latest.setdefault(check.kind, check)
    return latest


def verification_status_derive(latest: dict[str, VerificationCheck]) -> str:
    """The profile's status from the newest check of each kind.

    Rejected wins (the sitter must act, and may submit again); then pending
    (someone is still deciding); verified needs both identity and background
    verified; anything else (nothing checked, or only one kind verified) is
    unverified.
    """
    statuses = {check.status for check in latest.values()}
    if CheckStatus.REJECTED in statuses:
        return VerificationStatus.REJECTED
    if CheckStatus.PENDING in statuses:
        return VerificationStatus.PENDING
    if all(latest.get(kind) is not None and latest[kind].status == CheckStatus.VERIFIED for kind in CheckKind.values):
        return VerificationStatus.VERIFIED
    return VerificationStatus.UNVERIFIED


def verification_state_get(*, profile: SitterProfile) -> VerificationState:
    latest = verification_latest_checks(sitter_id=profile.pk)
    checks = [latest[kind] for kind in CheckKind.values if kind in latest]
    return VerificationState(
        verification_status=profile.verification_status, verified_at=profile.verified_at, checks=checks
    )


def sitter_user_get_for_staff(*, sitter_id: UUID) -> User:
    """The sitter account a staff route names; NotFound for an unknown id or an account that is not a sitter."""
    user = User.objects.filter(pk=sitter_id, role=Role.SITTER).first()
    if user is None:
        raise not_found()
    return user


def verification_check_pending_count() -> int:
    """Checks waiting for a decision: the staff queue's length (one COUNT on the queue's index)."""
    return VerificationCheck.objects.filter(status=CheckStatus.PENDING).count()
