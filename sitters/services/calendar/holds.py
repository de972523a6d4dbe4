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

A booking's hold (``require_available``) must also lie inside one
availability span. The spans are rewritten by the calendar services under
the profile row lock (:mod:`sitters.services.locks`), so such a placement or
move takes that lock first, in the same order (profile, then its rows): the
span it read cannot change before it commits (READ COMMITTED would let an
``availability_set`` slip in between the read and the insert otherwise).
Blocked time reads no spans and takes no profile lock.

A booking retried with its reference gets the hold it already placed. Two
identical placements racing: once the winner commits, the loser is refused
by the overlap check or, on PostgreSQL, by the unique reference or the
exclusion constraint (told apart by the constraint name psycopg reports);
it then re-reads by reference and returns the winner's hold.

Periods are half-open ``[starts_at, ends_at)``: 10-12 and 12-14 both fit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone as dj_timezone

from accounts.models import User
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, ErrorCode, invalid, not_found
from sitters.cache import sitter_changed_on_commit
from sitters.errors import SitterError
from sitters.models import Hold, HoldKind, SitterProfile
from sitters.models.calendar import HOLD_NO_OVERLAP
from sitters.selectors.calendar import hold_overlapping, span_covers
from sitters.services.locks import sitter_profile_lock

MAX_HOLD_LENGTH = timedelta(days=7)
# PostgreSQL's name for the inline UNIQUE of ``Hold.reference`` (migration 0001): <table>_<column>_key.
HOLD_REFERENCE_UNIQUE = "sitters_hold_reference_key"
EXCLUSION_VIOLATION = "23P01"


def _unavailable(detail: str) -> ApplicationError:
    return ApplicationError(SitterError.SITTER_UNAVAILABLE, detail)


def hold_period_validate(starts_at: datetime, ends_at: datetime) -> None:
    """Aware datetimes, start before end, at most ``MAX_HOLD_LENGTH``; a 400 naming the field otherwise."""
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if dj_timezone.is_naive(value):
            raise invalid(field, "Needs a time zone offset.")
    if not starts_at < ends_at:
        raise invalid("ends_at", "Must be after starts_at.")
    if ends_at - starts_at > MAX_HOLD_LENGTH:
        raise invalid("ends_at", f"A hold lasts at most {MAX_HOLD_LENGTH.days} days.")


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


def _constraint_of(exc: IntegrityError) -> str | None:
    """The violated constraint's name, as PostgreSQL reports it (psycopg's diagnostics); None elsewhere."""
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) == EXCLUSION_VIOLATION:
        return HOLD_NO_OVERLAP
    return getattr(getattr(cause, "diag", None), "constraint_name", None)


def _save(hold: Hold, **kwargs: Any) -> None:
    """Write under a savepoint: a refusal by the database becomes a 409, the caller's transaction lives."""
    try:
        with transaction.atomic():
            hold.save(**kwargs)
    except IntegrityError as exc:
        constraint = _constraint_of(exc)
        if constraint == HOLD_NO_OVERLAP:
            raise _unavailable("The sitter is already busy during this period.") from exc
        if constraint == HOLD_REFERENCE_UNIQUE:
            raise ApplicationError(ErrorCode.CONFLICT, "This reference already holds a period.") from exc
        raise


def _placed_before(wanted: Hold) -> Hold | None:
    """The hold already placed under ``wanted``'s reference if it is this very one; 409 ``conflict`` if another."""
    if wanted.reference is None:
        return None
    existing = Hold.objects.filter(reference=wanted.reference).first()
    if existing is None:
        return None
    if _placement(existing) != _placement(wanted):
        raise ApplicationError(ErrorCode.CONFLICT, "This reference already holds another period.")
    return existing


def _placement(hold: Hold) -> tuple[str, datetime, datetime, str]:
    return str(hold.sitter_id), hold.starts_at, hold.ends_at, hold.kind


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
        raise invalid("kind", f"One of {', '.join(HoldKind.values)}.")
    with transaction.atomic():
        if require_available:
            has_calendar = sitter_profile_lock(sitter_id=sitter_id) is not None
        else:
            has_calendar = SitterProfile.objects.filter(pk=sitter_id).exists()
        if not has_calendar:
            raise _unavailable("This sitter has no calendar.")
        hold = Hold(sitter_id=sitter_id, starts_at=starts_at, ends_at=ends_at, kind=kind, reference=reference)
        if (existing := _placed_before(hold)) is not None:
            return existing
        try:
            hold_conflict_check(
                sitter_id=sitter_id, starts_at=starts_at, ends_at=ends_at, require_available=require_available
            )
            _save(hold, force_insert=True)
        except ApplicationError:
            # A twin placement (same reference, same period) committed since the first look: its hold answers.
            if (twin := _placed_before(hold)) is not None:
                return twin
            raise
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
        if require_available:  # the profile first, then the hold: the calendar services' order
            sitter_id = Hold.objects.filter(reference=reference).values_list("sitter_id", flat=True).first()
            if sitter_id is not None:
                sitter_profile_lock(sitter_id=sitter_id)
        hold = Hold.objects.select_for_update().filter(reference=reference).first()
        if hold is None:
            raise not_found("No hold has this reference.")
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
