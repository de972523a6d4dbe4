"""Certification services: a sitter adds, changes and removes their certifications; reminders before expiry.

Writes of one sitter's certifications are serialised on the profile row, so
"one of each kind but ``other``" holds under concurrent requests (the
partial unique constraint backs it up). Each change is audited and forgets
the sitter's cached public profile and searches after commit: the badges
and the certification filter of search read these rows.

Staff approve a certification by approving its document, and that approval
covers the certification as it stood: its kind, its dates and its document.
Any change of those, and any new use of a document, sends the document back
to review (pending: no badge) until staff look again. One document backs one
certification (a unique constraint, answered as 409 ``document_in_use``).

Reminders: :func:`certification_reminders_send` claims each certification
with a conditional UPDATE of ``reminder_sent_for`` to the expiry date it
reminds, in the same transaction as the notification. A second run, or a
second worker, finds nothing left to claim; a renewed certification (a new
expiry date) is claimable again.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from files.models import Purpose, StoredFile
from files.selectors import file_get_usable
from files.services.lifecycle import file_review, file_review_reopen
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, Refusal, invalid, not_found
from messaging.services.notifications import notify
from sitters.cache import sitter_changed_on_commit
from sitters.errors import SitterError
from sitters.models import Certification, CertificationKind, SitterProfile
from sitters.services.calendar import local_today
from sitters.services.locks import sitter_profile_lock

logger = structlog.get_logger("sitters")

CERTIFICATION_FIELDS = ("kind", "issued_at", "expires_at", "document_id")


def _document(sitter: SitterProfile, document_id: UUID | str | None) -> StoredFile | None:
    if document_id is None:
        return None
    return file_get_usable(
        file_id=document_id, owner_id=sitter.user_id, purpose=Purpose.CERTIFICATION, field="document_id"
    )


def _exists(kind: str) -> ApplicationError:
    return ApplicationError(
        SitterError.CERTIFICATION_EXISTS,
        f"You already have a {kind} certification: change or remove that one.",
        errors={"kind": [f"A {kind} certification exists already."]},
    )


def _check(sitter: SitterProfile, values: dict[str, Any], *, exclude: UUID | None = None) -> None:
    """Dates in order, and one certification of each kind except ``other``.

    "In the future" is judged by the sitter's own calendar: in Auckland a
    certificate issued today is valid from local midnight, hours before UTC's.
    """
    if values["kind"] not in CertificationKind.values:
        raise invalid("kind", f"Unknown kind {values['kind']!r}.")
    if values["issued_at"] > local_today(ZoneInfo(sitter.timezone)):
        raise invalid("issued_at", "The issue date is in the future (in your time zone).")
    if values["expires_at"] is not None and values["expires_at"] <= values["issued_at"]:
        raise invalid("expires_at", "The expiry date must be after the issue date.")
    if values["kind"] != CertificationKind.OTHER:
        same = Certification.objects.filter(sitter=sitter, kind=values["kind"])
        if exclude is not None:
            same = same.exclude(pk=exclude)
        if same.exists():
            raise _exists(values["kind"])


def _in_use() -> ApplicationError:
    return ApplicationError(
        SitterError.DOCUMENT_IN_USE,
        "This document already backs another certification: upload the certificate for this one.",
        errors={"document_id": ["This document backs another certification."]},
    )


def _check_document_free(document: StoredFile | None, *, exclude: UUID | None = None) -> None:
    if document is None:
        return
    others = Certification.objects.filter(document=document)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise _in_use()


def _save(certification: Certification, **kwargs: Any) -> None:
    """Save, answering a clash on a uniqueness constraint as 409 rather than a 500."""
    try:
        with transaction.atomic():
            certification.save(**kwargs)
    except IntegrityError as exc:
        if "sitters_certification_one_document" in str(exc) or "document_id" in str(exc):
            raise _in_use() from exc
        raise _exists(certification.kind) from exc


def _back_to_review(certification: Certification, actor: User, reason: str) -> None:
    """What staff approved is no longer what the certification says: its badge waits for them again."""
    if certification.document is not None:
        file_review_reopen(file=certification.document, actor=actor, reason=reason)


def certification_create(
    *,
    sitter: SitterProfile,
    actor: User,
    kind: str,
    issued_at: date,
    expires_at: date | None = None,
    document_id: UUID | str | None = None,
) -> Certification:
    """Add a certification; its badge shows once staff approve the document (files review)."""
    with transaction.atomic():
        locked = sitter_profile_lock(sitter_id=sitter.pk)
        if locked is None:  # the account was erased meanwhile
            raise not_found()
        values = {"kind": kind, "issued_at": issued_at, "expires_at": expires_at}
        _check(locked, values)
        document = _document(locked, document_id)
        _check_document_free(document)
        certification = Certification(sitter=locked, document=document, **values)
        _save(certification)
        _back_to_review(certification, actor, "sitter.certification_created")
        sitter_changed_on_commit(locked.pk)
        audit_record(action="sitter.certification_created", actor=actor, target=certification, data={"kind": kind})
    return certification


def certification_update(*, certification: Certification, actor: User, **fields: Any) -> Certification:
    """Change kind, dates or document (API names); the result is checked as a whole, like a new one."""
    unknown = sorted(set(fields) - set(CERTIFICATION_FIELDS))
    if unknown:
        raise ValueError(f"certification_update: unknown fields {unknown}")
    with transaction.atomic():
        sitter = sitter_profile_lock(sitter_id=certification.sitter_id)
        if sitter is None:
            raise not_found()
        locked = Certification.objects.select_for_update().filter(pk=certification.pk).first()
        if locked is None:  # deleted by a concurrent request
            raise not_found()
        changed: list[str] = []
        for key in ("kind", "issued_at", "expires_at"):
            if key in fields and getattr(locked, key) != fields[key]:
                setattr(locked, key, fields[key])
                changed.append(key)
        if "document_id" in fields and str(locked.document_id) != str(fields["document_id"]):
            locked.document = _document(sitter, fields["document_id"])
            _check_document_free(locked.document, exclude=locked.pk)
            changed.append("document")
        if not changed:
            return locked
        _check(
            sitter,
            {"kind": locked.kind, "issued_at": locked.issued_at, "expires_at": locked.expires_at},
            exclude=locked.pk,
        )
        _save(locked, update_fields=[*changed, "updated_at"])
        _back_to_review(locked, actor, "sitter.certification_updated")
        sitter_changed_on_commit(sitter.pk)
        audit_record(action="sitter.certification_updated", actor=actor, target=locked, data={"fields": changed})
    return locked


def certification_delete(*, certification: Certification, actor: User) -> None:
    """Remove a certification (the document stays in the sitter's files until they delete it)."""
    with transaction.atomic():
        sitter = sitter_profile_lock(sitter_id=certification.sitter_id)
        if sitter is None:
            raise not_found()
        certification_id, kind = certification.pk, certification.kind
        Certification.objects.filter(pk=certification_id).delete()
        sitter_changed_on_commit(sitter.pk)
        audit_record(
            action="sitter.certification_deleted",
            actor=actor,
            target_type="sitters.certification",
            target_id=certification_id,
            data={"kind": kind},
        )


def certification_document_review(*, certification: Certification, actor: User, approved: bool) -> Certification:
    """Staff's verdict on a certification's document; the badge on the public profile follows.

    The files review service records and audits the verdict; saving the file
    makes the sitters' StoredFile observer (:mod:`sitters.signals`) forget the
    sitter's cached profile and searches, so nothing more is needed here.
    """
    if certification.document is None:
        # Not bad input: the certification's state leaves nothing to review.
        raise ApplicationError(
            SitterError.DOCUMENT_INVALID, "This certification has no document to review.", refusal=Refusal.CONFLICT
        )
    file_review(file=certification.document, actor=actor, approved=approved)
    return certification


# --- reminders ------------------------------------------------------------------------------------


def _not_reminded_for_expiry() -> Q:
    """``reminder_sent_for`` is not the current expiry date (spelled out: NULL never compares unequal)."""
    return (
        Q(reminder_sent_for__isnull=True)
        | Q(reminder_sent_for__lt=F("expires_at"))
        | Q(reminder_sent_for__gt=F("expires_at"))
    )


def certification_reminder_send(*, certification_id: UUID, expires_at: date) -> bool:
    """Claim one certification for the reminder of ``expires_at`` and notify its sitter; False if not claimed.

    The claim and the notification commit together: a crash in between leaves
    the row unclaimed for the next run, never claimed without a message.
    """
    with transaction.atomic():
        claimed = (
            Certification.objects.filter(pk=certification_id, expires_at=expires_at)
            .filter(_not_reminded_for_expiry())
            .update(reminder_sent_for=expires_at)
        )
        if claimed != 1:
            return False
        certification = Certification.objects.select_related("sitter__user").get(pk=certification_id)
        notify(
            user=certification.sitter.user,
            kind="sitter.certification_expiring",
            context={
                "certification": certification.get_kind_display(),
                "expires_at": expires_at.isoformat(),
                "certification_id": str(certification.pk),
            },
        )
    return True


def certification_reminders_send(*, today: date | None = None) -> int:
    """Remind sitters of certifications expiring within ``CERTIFICATION_REMINDER_DAYS``; how many were sent.

    Safe to run any number of times and on several workers at once (each row
    is claimed by a conditional UPDATE). Sitters whose account is inactive
    are skipped.
    """
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.CERTIFICATION_REMINDER_DAYS)
    due = (
        Certification.objects.filter(expires_at__gte=today, expires_at__lte=horizon, sitter__user__is_active=True)
        .filter(_not_reminded_for_expiry())
        .order_by("expires_at", "pk")
        .values_list("pk", "expires_at")
    )
    sent = 0
    # Materialised first: each claim is its own transaction, and the due set is small (a month of expiries).
    for certification_id, expires_at in list(due):
        if expires_at is not None and certification_reminder_send(
            certification_id=certification_id, expires_at=expires_at
        ):
            sent += 1
    logger.info("certification_reminders_sent", sent=sent)
    return sent
