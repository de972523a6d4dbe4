"""Verification test helpers shared by the services, provider, API, admin and bookable tests."""

from __future__ import annotations

from typing import Any, cast

from accounts.models import User
from files.models import Purpose, StoredFile
from guardiannest.audit.models import AuditEvent
from sitters.models import SitterProfile, VerificationCheck, VerificationStatus
from sitters.services import verification as services
from sitters.tests.factories import SitterProfileFactory, StoredFileFactory


def id_document(owner: User, **overrides: Any) -> StoredFile:
    """A ready ID document as the files pipeline leaves it (no scanner configured: not_scanned)."""
    values: dict[str, Any] = {"owner": owner, "purpose": Purpose.ID_DOCUMENT, "review": StoredFile.Review.PENDING}
    return cast(StoredFile, StoredFileFactory(**(values | overrides)))


def unverified(user: User) -> SitterProfile:
    return cast(SitterProfile, SitterProfileFactory(user=user, verification_status=VerificationStatus.UNVERIFIED))


def submitted(user: User) -> SitterProfile:
    unverified(user)
    return services.verification_submit(sitter=user, id_document_id=id_document(user).pk, actor=user)


def decided_events(check: VerificationCheck) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action="sitter.verification_decided", target_type="sitters.verificationcheck", target_id=str(check.pk)
        )
    )


def checks_of(user: User) -> dict[str, VerificationCheck]:
    latest: dict[str, VerificationCheck] = {}
    for check in VerificationCheck.objects.filter(sitter_id=user.pk).order_by("-submitted_at"):
        latest.setdefault(check.kind, check)
    return latest
