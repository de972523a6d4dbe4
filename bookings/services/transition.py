"""The one shape of every booking move (STYLE.md, habit 1), used by each transition service.

:func:`booking_transition` locks the booking row, asks the transitions table
(:mod:`bookings.transitions`) whether this party may make this move from the
current status, applies the caller's change, and records it: one
:class:`~bookings.models.BookingEvent`, a notification to the other party
(its rows join the transaction, so nothing leaves before commit), the audit
event last, and a ``booking.updated`` broadcast after commit. A move asked
for again once made (the booking already in one of ``done``) changes nothing
and answers the booking as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import User
from bookings.errors import BookingError
from bookings.groups import booking_group
from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.tracking.services.safety import safety_timers_settle
from bookings.transitions import NO_SHOW, TRANSITIONS, Party, allowed
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, not_found
from guardiannest.realtime.events import broadcast_on_commit
from guardiannest.realtime.groups import user_group
from messaging.services.notifications import notify

# Who hears of each move, and through which kind (kinds registered in bookings/apps.py).
NOTICES: dict[BookingStatus, tuple[str, tuple[Party, ...]]] = {
    BookingStatus.REQUESTED: ("booking.requested", (Party.SITTER,)),
    BookingStatus.ACCEPTED: ("booking.accepted", (Party.PARENT,)),
    BookingStatus.DECLINED: ("booking.declined", (Party.PARENT,)),
    BookingStatus.EXPIRED: ("booking.cancelled", (Party.PARENT, Party.SITTER)),
    BookingStatus.CANCELLED: ("booking.cancelled", (Party.PARENT, Party.SITTER)),
    BookingStatus.COMPLETED: ("booking.completed", (Party.PARENT,)),
    BookingStatus.IN_PROGRESS: ("booking.checked_in", (Party.PARENT,)),
    BookingStatus.DISPUTED: ("booking.disputed", (Party.SITTER,)),
}
# Moves whose status alone does not say what happened (the hours confirmed on a completed booking, a
# dispute resolved back to completed, a no-show cancelling): the service names the move, and this says
# who hears of it. As everywhere, whoever acted is not told.
HOURS_CONFIRMED, DISPUTE_RESOLVED = "hours_confirmed", "dispute_resolved"
MOVE_NOTICES: dict[str, tuple[str, tuple[Party, ...]]] = {
    HOURS_CONFIRMED: ("booking.hours_confirmed", (Party.PARENT, Party.SITTER)),
    DISPUTE_RESOLVED: ("booking.dispute_resolved", (Party.PARENT, Party.SITTER)),
    NO_SHOW: ("booking.no_show", (Party.PARENT, Party.SITTER)),
}

Change = Callable[[Booking, Party], dict[str, Any] | None]


def party_of(booking: Booking, actor: User | None) -> Party:
    """The actor's part in this booking; someone with none (and not staff) is told it does not exist."""
    if actor is None:
        return Party.SYSTEM
    if actor.pk == booking.parent_id:
        return Party.PARENT
    if actor.pk == booking.sitter_id:
        return Party.SITTER
    if actor.is_staff:
        return Party.STAFF
    raise not_found("No such booking.")


def refuse(booking: Booking, target: BookingStatus) -> ApplicationError:
    return ApplicationError(
        BookingError.TRANSITION_NOT_ALLOWED, f"A {booking.status} booking cannot become {target} by you."
    )


def booking_transition(
    *,
    booking_id: UUID,
    target: BookingStatus,
    actor: User | None,
    done: Iterable[BookingStatus] = (),
    change: Change | None = None,
    reason: str = "",
    move: str | None = None,
) -> tuple[Booking, bool]:
    """Move the booking to ``target`` as ``actor`` (None: the platform); answer it and whether it moved.

    ``change`` runs under the lock before the status changes (the booking
    still shows the old one) and may refuse by raising; what it returns joins
    the event's and the audit's data. ``done``: statuses in which this move
    has already been made, answered as they are (only to a party that may
    make the move at all). ``move``: a key of ``MOVE_NOTICES`` when the
    status alone does not say who hears of it, and how.
    """
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",)).select_related("parent", "sitter").filter(pk=booking_id)
        ).first()
        if booking is None:
            raise not_found("No such booking.")
        party = party_of(booking, actor)
        may_ever = any(party in parties for (_, to), parties in TRANSITIONS.items() if to == target)
        if may_ever and booking.status in {target, *done}:
            return booking, False
        if not allowed(booking.status, target, party):
            raise refuse(booking, target)
        data = (change(booking, party) if change is not None else None) or {}
        previous = booking.status
        booking.status = target
        booking.save()
        booking_event_record(
            booking=booking, previous=previous, actor=actor, party=party, reason=reason, data=data, move=move
        )
    return booking, True


def booking_event_record(
    *,
    booking: Booking,
    previous: str,
    actor: User | None,
    party: Party,
    reason: str = "",
    data: dict[str, Any] | None = None,
    move: str | None = None,
    notice: tuple[str, tuple[Party, ...]] | None = None,
) -> BookingEvent:
    """Record a move already written to ``booking`` (locked, in the caller's transaction): event, notice, audit.

    The notice is ``notice`` (kind, recipients) when the caller gives one, else ``MOVE_NOTICES[move]`` when the
    caller names its move, else the new status's in ``NOTICES``.
    """
    data = data or {}
    event = BookingEvent.objects.create(
        booking=booking, actor=actor, from_status=previous, to_status=booking.status, reason=reason, data=data
    )
    if notice is None:
        notice = MOVE_NOTICES[move] if move is not None else NOTICES.get(BookingStatus(booking.status))
    if notice is not None:
        kind, recipients = notice
        for recipient in recipients:
            if recipient != party:  # the one who acted knows
                _notify(booking, kind, recipient, actor)
    # A safety timer's alert whose reason this move ended (a late check-in, the check-out) is resolved with it.
    safety_timers_settle(booking=booking, previous=previous, actor=actor)
    audit_record(
        action=f"booking.{booking.status}",
        actor=actor,
        target=booking,
        data={"from": previous, "to": booking.status, "party": str(party), **data},
    )
    booking_updated_on_commit(booking)
    return event


def booking_notify(*, booking: Booking, kind: str, recipient: Party, actor: User | None) -> None:
    """Tell one party of ``booking`` something of ``kind`` (in the caller's transaction; sent after commit)."""
    _notify(booking, kind, recipient, actor)


def _notify(booking: Booking, kind: str, recipient: Party, actor: User | None) -> None:
    user, other = (booking.parent, booking.sitter) if recipient == Party.PARENT else (booking.sitter, booking.parent)
    local = booking.starts_at.astimezone(ZoneInfo(booking.timezone))
    context = {"booking_id": str(booking.pk), "other_name": other.first_name or other.email, "starts_at": local}
    notify(user=user, kind=kind, context=context, actor=actor)


def booking_updated_on_commit(booking: Booking) -> None:
    """``booking.updated`` to both parties' sockets and the booking's own group, once committed."""
    data = {
        "booking_id": str(booking.pk),
        "status": booking.status,
        "hours_status": booking.hours_status,
        "cancellation_fee": booking.cancellation_fee_amount,
    }
    groups = [user_group(booking.parent_id), user_group(booking.sitter_id), booking_group(booking.pk)]
    broadcast_on_commit(groups, "booking.updated", data)
