"""Sitter verification: a sitter submits, staff (or a provider) decide; every decision is one audited transition.

Every function here locks the sitter's profile row first (then the checks),
so a submission, a staff decision in the API, one in the admin and a
provider's report never interleave: two staff members clicking "verify" at
once decide each check once, and the second click finds nothing left to do.

The profile's ``verification_status`` is derived from the newest check of
each kind (:func:`sitters.selectors.verification.verification_status_derive`)
in the transaction that changes a check, so it can never disagree with them:
verified needs identity and background verified; a later rejection (a
background re-check) takes verified status away.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from files.models import Purpose, StoredFile
from files.selectors import file_get_usable
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, invalid, not_found
from messaging.services.notifications import notify
from sitters.cache import sitter_changed_on_commit
from sitters.errors import SitterError, clean_text_field
from sitters.models import CheckKind, CheckStatus, SitterProfile, VerificationCheck, VerificationStatus
from sitters.selectors.verification import verification_latest_checks, verification_status_derive
from sitters.services.locks import sitter_profile_lock
from sitters.services.profile import sitter_profile_for
from sitters.verification import ManualProvider, provider_for, provider_named

logger = structlog.get_logger("sitters.verification")

REASON_MAX_LENGTH = 1000
# An automated check still unstarted this long after submission has lost its start task.
REDRIVE_AFTER = timedelta(minutes=15)
DECISIONS = (CheckStatus.VERIFIED, CheckStatus.REJECTED)
CHECK_LABELS = {CheckKind.IDENTITY: "identity check", CheckKind.BACKGROUND: "background check"}


def _clean_decision(*, decision: str, reason: str, kind: str | None = None) -> str:
    """The decision's reason as stored (plain text); refuses an unknown decision or kind and a reasonless rejection."""
    if decision not in DECISIONS:
        raise invalid("decision", f"Choose one of: {', '.join(DECISIONS)}.")
    if kind is not None and kind not in CheckKind.values:
        raise invalid("check", f"Choose one of: {', '.join(CheckKind.values)}.")
    cleaned = clean_text_field("reason", reason, max_length=REASON_MAX_LENGTH)
    if decision == CheckStatus.REJECTED and not cleaned:
        raise invalid("reason", "A rejection needs a reason the sitter can read.", SitterError.REQUIRED)
    return cleaned


def _id_document(*, sitter: User, document_id: UUID | str) -> StoredFile:
    """The sitter's own usable ID document (:func:`files.selectors.file_get_usable`)."""
    return file_get_usable(
        file_id=document_id,
        owner_id=sitter.pk,
        purpose=Purpose.ID_DOCUMENT,
        field="id_document_id",
        code=SitterError.DOCUMENT_INVALID,
    )


def _locked_profile_of(sitter: User) -> SitterProfile:
    """The sitter's profile (made on first access) under :func:`sitter_profile_lock`; 404 if erased meanwhile."""
    profile = sitter_profile_lock(sitter_id=sitter_profile_for(user=sitter).pk, with_user=True)
    if profile is None:
        raise not_found()
    return profile


def _enqueue_start(check: VerificationCheck) -> None:
    """After commit, a worker hands the check to its provider (a network call for Checkr or Stripe Identity)."""
    from sitters.tasks.verification import verification_check_start_task

    # robust: a broker that is down must not turn the committed submission into a 500 (the sitter's retry
    # would then get 409 verification_pending); verification_checks_redrive publishes the start again.
    transaction.on_commit(partial(verification_check_start_task.delay, str(check.pk)), robust=True)


def verification_checks_redrive(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publish again the start of automated checks nobody started: the task was lost or its retries ran out.

    A pending check of a provider other than the manual one, still without a
    provider reference ``REDRIVE_AFTER`` after submission. The start task is
    idempotent, so a check whose task is merely slow is harmless to send twice.
    """
    from sitters.tasks.verification import verification_check_start_task

    cutoff = (now or timezone.now()) - REDRIVE_AFTER
    stuck = (
        VerificationCheck.objects.filter(status=CheckStatus.PENDING, provider_reference="", submitted_at__lt=cutoff)
        .exclude(provider=ManualProvider.name)
        .order_by("submitted_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = [str(pk) for pk in stuck]
    for check_id in ids:
        verification_check_start_task.delay(check_id)
    if ids:
        logger.warning("verification_checks_redriven", count=len(ids))
    return len(ids)


def verification_check_start(*, check_id: UUID | str) -> bool:
    """Hand one check to its provider (the task's body); True when the provider was asked to start it.

    Idempotent, so a retried or redelivered task is harmless: a check that is
    gone, decided, or already known to its provider (``provider_reference``
    set) is left alone. Whatever the provider raises fails the task (a
    :class:`~sitters.verification.ProviderUnavailable` is retried) and leaves
    the check pending in the staff queue, where a person can still decide it.
    """
    check = VerificationCheck.objects.filter(pk=check_id).first()
    if check is None or check.status != CheckStatus.PENDING or check.provider_reference:
        logger.info("verification_check_start_skipped", check_id=str(check_id))
        return False
    provider_named(check.provider).start(check)
    return True


# --- the sitter submits ---------------------------------------------------------------------------


def verification_submit(*, sitter: User, id_document_id: UUID | str, actor: User) -> SitterProfile:
    """Open an identity check (with the ID document) and a background check; the profile becomes ``pending``.

    409 ``already_verified`` for a verified sitter and ``verification_pending``
    while a decision is awaited. A rejected sitter may submit again: a check
    is opened for every kind whose newest check is not pending or verified
    (a background check still running is kept, a verified identity is not
    re-run). 400 ``id_document_id`` unless it names the sitter's own ready
    ``id_document`` upload.
    """
    with transaction.atomic():
        profile = _locked_profile_of(sitter)
        if profile.verification_status == VerificationStatus.VERIFIED:
            raise ApplicationError(SitterError.ALREADY_VERIFIED, "You are verified already.")
        latest = verification_latest_checks(sitter_id=profile.pk)
        if verification_status_derive(latest) == VerificationStatus.PENDING:
            raise ApplicationError(SitterError.VERIFICATION_PENDING, "Your verification is being reviewed.")
        document = _id_document(sitter=sitter, document_id=id_document_id)
        kinds = [
            kind
            for kind in CheckKind.values
            if kind not in latest or latest[kind].status not in (CheckStatus.PENDING, CheckStatus.VERIFIED)
        ]
        try:
            with transaction.atomic():
                checks = [
                    VerificationCheck.objects.create(
                        sitter=profile,
                        kind=kind,
                        provider=provider_for(kind).name,
                        document=document if kind == CheckKind.IDENTITY else None,
                    )
                    for kind in kinds
                ]
        except IntegrityError as exc:  # one pending per kind; the profile lock makes this a safety net
            raise ApplicationError(SitterError.VERIFICATION_PENDING, "Your verification is being reviewed.") from exc
        profile.verification_status = verification_status_derive(verification_latest_checks(sitter_id=profile.pk))
        profile.verified_at = None
        profile.save(update_fields=["verification_status", "verified_at", "updated_at"])
        sitter_changed_on_commit(profile.pk)
        for check in checks:
            _enqueue_start(check)
        audit_record(
            action="sitter.verification_submitted",
            actor=actor,
            target=profile,
            data={"checks": [{"id": str(c.pk), "kind": c.kind, "provider": c.provider} for c in checks]},
        )
    return profile


# --- decisions ------------------------------------------------------------------------------------


def _decide(check: VerificationCheck, *, decision: str, reason: str, actor: User | None) -> None:
    check.status = decision
    check.reason = reason
    check.decided_at = timezone.now()
    check.decided_by = actor if actor is not None and actor.pk else None


def _after_decisions(
    *, profile: SitterProfile, checks: list[VerificationCheck], decision: str, reason: str, actor: User | None
) -> SitterProfile:
    """The status follows the checks; one notification, then one audit event per decided check (last writes)."""
    if not checks:
        return profile
    before = profile.verification_status
    profile.verification_status = verification_status_derive(verification_latest_checks(sitter_id=profile.pk))
    if profile.verification_status != VerificationStatus.VERIFIED:
        profile.verified_at = None
    elif before != VerificationStatus.VERIFIED or profile.verified_at is None:
        profile.verified_at = timezone.now()
    profile.save(update_fields=["verification_status", "verified_at", "updated_at"])
    sitter_changed_on_commit(profile.pk)
    labels = [CHECK_LABELS[CheckKind(check.kind)] for check in checks]
    notify(
        user=profile.user,
        kind="sitter.verification_decided",
        context={
            "decision": decision,
            "check": " and ".join(labels),
            "reason": reason,
            "verification_status": profile.verification_status,
            "check_id": checks[0].pk if len(checks) == 1 else None,
        },
        actor=actor,
    )
    for check in checks:
        audit_record(
            action="sitter.verification_decided",
            actor=actor,
            target=check,
            data={
                "sitter_id": str(profile.pk),
                "decision": decision,
                "check": check.kind,
                "reason": reason,
                "provider": check.provider,
                "verification_status": profile.verification_status,
            },
        )
    return profile


def verification_decide(
    *, sitter: User, actor: User | None, decision: str, reason: str = "", kind: str | None = None
) -> SitterProfile:
    """Staff's decision on a sitter (API and admin): on the pending check of ``kind``, or on every pending check.

    With nothing pending staff may still decide, so the manual provider works
    from the admin alone: a decided check is recorded for ``kind`` (or for
    both kinds). A decision equal to the newest check's status when nothing
    is pending changes nothing (a double click, a replayed request): no
    audit event, no notification. Rejecting needs a reason (400 ``reason``).
    """
    reason = _clean_decision(decision=decision, reason=reason, kind=kind)
    with transaction.atomic():
        profile = _locked_profile_of(sitter)
        pending = {
            check.kind: check
            for check in VerificationCheck.objects.select_for_update().filter(
                sitter=profile, status=CheckStatus.PENDING
            )
        }
        latest = verification_latest_checks(sitter_id=profile.pk)
        kinds = [kind] if kind else ([k for k in CheckKind.values if k in pending] or list(CheckKind.values))
        decided: list[VerificationCheck] = []
        for each in kinds:
            check = pending.get(each)
            if check is None:
                if each in latest and latest[each].status == decision:
                    continue
                check = VerificationCheck(sitter=profile, kind=each, provider=ManualProvider.name)
            _decide(check, decision=decision, reason=reason, actor=actor)
            check.save()
            decided.append(check)
        return _after_decisions(profile=profile, checks=decided, decision=decision, reason=reason, actor=actor)


def verification_check_decide(
    *, check_id: UUID | str, actor: User | None, decision: str, reason: str = ""
) -> VerificationCheck:
    """Decide one pending check (the admin queue, a provider's report); 409 ``verification_not_pending`` otherwise."""
    reason = _clean_decision(decision=decision, reason=reason)
    with transaction.atomic():
        sitter_id = VerificationCheck.objects.filter(pk=check_id).values_list("sitter_id", flat=True).first()
        if sitter_id is None:
            raise not_found()
        profile = sitter_profile_lock(sitter_id=sitter_id, with_user=True)
        if profile is None:
            raise not_found()
        check = VerificationCheck.objects.select_for_update().get(pk=check_id)
        if check.status != CheckStatus.PENDING:
            raise ApplicationError(SitterError.VERIFICATION_NOT_PENDING, "This check has been decided already.")
        _decide(check, decision=decision, reason=reason, actor=actor)
        check.save(update_fields=["status", "reason", "decided_at", "decided_by"])
        _after_decisions(profile=profile, checks=[check], decision=decision, reason=reason, actor=actor)
    return check


# --- a verified identity goes back to review ------------------------------------------------------


def verification_identity_on_name_change(*, user: User, actor: User | None, fields: Collection[str]) -> None:
    """A sitter's verified identity was checked against a name that just changed: it goes back to review.

    Registered with ``accounts.hooks.name_changed``, so it runs inside the
    transaction that changed the name (accounts locked the user row first; the
    profile comes next, the order account erasure uses too). Only a sitter
    whose newest identity check is verified is concerned: a new pending identity
    check is opened with the document the verified one was decided on, the
    profile's status follows the checks (no longer verified, so no verified
    badge, and search and bookings treat it as such), the cached profile is
    forgotten, the sitter is told and the change audited. Anything else (no
    profile, an identity never verified, one already pending) changes nothing.
    """
    with transaction.atomic():
        profile = sitter_profile_lock(sitter_id=user.pk, with_user=True)
        if profile is None:
            return
        verified = verification_latest_checks(sitter_id=profile.pk).get(CheckKind.IDENTITY)
        if verified is None or verified.status != CheckStatus.VERIFIED:
            return
        check = VerificationCheck.objects.create(
            sitter=profile,
            kind=CheckKind.IDENTITY,
            provider=provider_for(CheckKind.IDENTITY).name,
            document_id=verified.document_id,
        )
        profile.verification_status = verification_status_derive(verification_latest_checks(sitter_id=profile.pk))
        profile.verified_at = None
        profile.save(update_fields=["verification_status", "verified_at", "updated_at"])
        sitter_changed_on_commit(profile.pk)
        _enqueue_start(check)
        notify(
            user=profile.user,
            kind="sitter.verification_reopened",
            context={"check": CHECK_LABELS[CheckKind.IDENTITY], "check_id": check.pk},
            actor=actor,
        )
        audit_record(
            action="sitter.verification_reopened",
            actor=actor,
            target=check,
            data={
                "sitter_id": str(profile.pk),
                "check": check.kind,
                "cause": "name_changed",
                "fields": sorted(fields),
                "previous_check_id": str(verified.pk),
                "verification_status": profile.verification_status,
            },
        )


# --- automated providers --------------------------------------------------------------------------


def verification_check_reference_set(*, check_id: UUID | str, provider: str, reference: str) -> bool:
    """Record the provider's id of a check once (a retried task cannot overwrite it); True when recorded."""
    updated = VerificationCheck.objects.filter(
        pk=check_id, provider=provider, provider_reference="", status=CheckStatus.PENDING
    ).update(provider_reference=reference)
    return updated == 1


def verification_provider_report(
    *, provider: str, reference: str, decision: str, reason: str = ""
) -> VerificationCheck | None:
    """A provider's decision on the check it knows as ``reference``; the same transition as staff's, no actor.

    Idempotent: an unknown reference or a check decided already (a repeated
    or late webhook) is logged and changes nothing (returns None). A rejection
    without a reason gets a generic one: the sitter is always told something.
    """
    check_id = (
        VerificationCheck.objects.filter(provider=provider, provider_reference=reference)
        .exclude(provider_reference="")
        .values_list("pk", flat=True)
        .first()
    )
    if check_id is None:
        logger.warning("verification_report_unknown_check", provider=provider, reference=reference)
        return None
    if decision == CheckStatus.REJECTED and not reason.strip():
        reason = "The check by our verification partner was not passed."  # a provider may send no reason
    try:
        return verification_check_decide(check_id=check_id, actor=None, decision=decision, reason=reason)
    except ApplicationError as exc:
        if exc.code != SitterError.VERIFICATION_NOT_PENDING:
            raise
        logger.info("verification_report_already_decided", provider=provider, check_id=str(check_id))
        return None
