"""Holds: busy periods bookings place and release. Two holds of one sitter never overlap.

Bookings call these inside their own transaction; each function opens its
own (nested: a savepoint) so it works alone or inside an outer atomic block.

The no-overlap rule is kept twice, on purpose:

- every backend checks :func:`sitters.selectors.calendar.hold_overlapping`
  inside the transaction before inserting. On SQLite (the embedded default)
  that is the whole guard, and it is enough: its transactions are IMMEDIATE,
  so the write lock is held from BEGIN and no other writer runs between the
  check and the insert;
- on PostgreSQL two transactions can both pass the check, so the exclusion
  constraint ``sitters_hold_no_overlap`` decides: the second insert waits for
  the first to commit, then fails with an exclusion violation (23P01), which
  the savepoint around the insert turns into the same 409
  ``sitter_unavailable`` without spoiling the caller's transaction.

Periods are half-open ``[starts_at, ends_at)``: 10-12 and 12-14 both fit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone as dj_timezone
from rest_framework import status

from accounts.models import User
from guardiannest.api.errors import ApplicationError, ErrorCode
from guardiannest.audit.services import audit_record
from sitters.cache import sitter_changed_on_commit
from sitters.errors import SitterError
from sitters.models import Hold, HoldKind, SitterProfile
from sitters.selectors.calendar import hold_overlapping, span_covers

MAX_HOLD_LENGTH = timedelta(days=7)
HOLD_NO_OVERLAP = "sitters_hold_no_overlap"
EXCLUSION_VIOLATION = "23P01"


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(ErrorCode.INVALID, message, status=status.HTTP_400_BAD_REQUEST, errors={field: [message]})


def _unavailable(detail: str) -> ApplicationError:
    return ApplicationError(SitterError.SITTER_UNAVAILABLE, detail)


def hold_period_validate(starts_at: datetime, ends_at: datetime) -> None:
    """Aware datetimes, start before end, at most ``MAX_HOLD_LENGTH``; a 400 naming the field otherwise."""
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if dj_timezone.is_naive(value):
            raise _invalid(field, "Needs a time zone offset.")
    if not starts_at < ends_at:
        raise _invalid("ends_at", "Must be after starts_at.")
    if ends_at - starts_at > MAX_HOLD_LENGTH:
        raise _invalid("ends_at", f"A hold lasts at most {MAX_HOLD_LENGTH.days} days.")


def hold_conflict_check(
    *,
    sitter_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    require_available: bool,
    exclude_id: UUID | None = None,
) -> None:
    """409 ``sitter_unavailable`` unless the period is free of other holds (and, if asked, inside one span).

    The serialised check of SQLite and the fast path of PostgreSQL; call it
    inside the transaction that writes the hold.
    """
    if require_available and not span_covers(sitter_id=sitter_id, starts_at=starts_at, ends_at=ends_at):
        raise _unavailable("The sitter is not available for all of this period.")
    if hold_overlapping(sitter_id=sitter_id, starts_at=starts_at, ends_at=ends_at, exclude_id=exclude_id).exists():
        raise _unavailable("The sitter is already busy during this period.")


def _is_overlap(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    return getattr(cause, "sqlstate", None) == EXCLUSION_VIOLATION or (
        getattr(diag, "constraint_name", None) == HOLD_NO_OVERLAP
    )


def _save(hold: Hold, **kwargs: Any) -> None:
    """Write under a savepoint: an overlap the database refuses becomes the 409, the caller's transaction lives."""
    try:
        with transaction.atomic():
            hold.save(**kwargs)
    except IntegrityError as exc:
        if _is_overlap(exc):
            raise _unavailable("The sitter is already busy during this period.") from exc
        if "reference" in str(exc):
            raise ApplicationError(ErrorCode.CONFLICT, "This reference already holds a period.") from exc
        raise


def _audit_data(hold: Hold) -> dict[str, Any]:
    return {
        "sitter_id": hold.sitter_id,
        "kind": hold.kind,
        "starts_at": hold.starts_at,
        "ends_at": hold.ends_at,
        "reference": hold.reference,
    }


def hold_place(
    *,
    sitter_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    reference: UUID | None = None,
    kind: str = HoldKind.BOOKING,
    require_available: bool = True,
    actor: User | None = None,
) -> Hold:
    """Mark the sitter busy for ``[starts_at, ends_at)``; 409 ``sitter_unavailable`` if they are not free.

    ``require_available``: the period must lie inside one availability span
    (a booking); a sitter blocking their own time passes False. Placing the
    same reference with the same period again returns the existing hold.
    """
    hold_period_validate(starts_at, ends_at)
    if kind not in HoldKind.values:
        raise _invalid("kind", f"One of {', '.join(HoldKind.values)}.")
    with transaction.atomic():
        if reference is not None:
            existing = Hold.objects.filter(reference=reference).first()
            if existing is not None:
                same = (str(existing.sitter_id), existing.starts_at, existing.ends_at, existing.kind)
                if same == (str(sitter_id), starts_at, ends_at, kind):
                    return existing
                raise ApplicationError(ErrorCode.CONFLICT, "This reference already holds another period.")
        if not SitterProfile.objects.filter(pk=sitter_id).exists():
            raise _unavailable("This sitter has no calendar.")
        hold_conflict_check(
            sitter_id=sitter_id, starts_at=starts_at, ends_at=ends_at, require_available=require_available
        )
        hold = Hold(sitter_id=sitter_id, starts_at=starts_at, ends_at=ends_at, kind=kind, reference=reference)
        _save(hold, force_insert=True)
        sitter_changed_on_commit(sitter_id)
        audit_record(action="sitter.hold_placed", actor=actor, target=hold, data=_audit_data(hold))
    return hold


def hold_release(*, reference: UUID, actor: User | None = None) -> bool:
    """Free the period held under ``reference``; False (and nothing changes) when there is no such hold."""
    with transaction.atomic():
        hold = Hold.objects.select_for_update().filter(reference=reference).first()
        if hold is None:
            return False
        data = _audit_data(hold)
        hold_id = hold.pk
        hold.delete()
        sitter_changed_on_commit(data["sitter_id"])
        audit_record(
            action="sitter.hold_released", actor=actor, target_type="sitters.hold", target_id=hold_id, data=data
        )
    return True


def hold_move(
    *,
    reference: UUID,
    starts_at: datetime,
    ends_at: datetime,
    require_available: bool = True,
    actor: User | None = None,
) -> Hold:
    """Move the hold of ``reference`` to a new period (a rescheduled booking); 404 when there is none."""
    hold_period_validate(starts_at, ends_at)
    with transaction.atomic():
        hold = Hold.objects.select_for_update().filter(reference=reference).first()
        if hold is None:
            raise ApplicationError(ErrorCode.NOT_FOUND, "No hold has this reference.", status=status.HTTP_404_NOT_FOUND)
        hold_conflict_check(
            sitter_id=hold.sitter_id,
            starts_at=starts_at,
            ends_at=ends_at,
            require_available=require_available,
            exclude_id=hold.pk,
        )
        previous = {"starts_at": hold.starts_at, "ends_at": hold.ends_at}
        hold.starts_at, hold.ends_at = starts_at, ends_at
        _save(hold, update_fields=["starts_at", "ends_at"])
        sitter_changed_on_commit(hold.sitter_id)
        audit_record(
            action="sitter.hold_moved", actor=actor, target=hold, data={**_audit_data(hold), "previous": previous}
        )
    return hold


def hold_delete_blocked(*, hold: Hold, actor: User | None) -> None:
    """Free time the sitter blocked themselves; a booking's hold is released by its booking (409)."""
    with transaction.atomic():
        locked = Hold.objects.select_for_update().filter(pk=hold.pk).first()
        if locked is None:
            return
        if locked.kind != HoldKind.BLOCKED:
            raise ApplicationError(ErrorCode.CONFLICT, "A booking's hold is released by cancelling the booking.")
        data = _audit_data(locked)
        locked.delete()
        sitter_changed_on_commit(data["sitter_id"])
        audit_record(
            action="sitter.hold_released", actor=actor, target_type="sitters.hold", target_id=hold.pk, data=data
        )
