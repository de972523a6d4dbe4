"""One request to several sitters (``POST bookings`` with ``sitter_ids``): the first to accept wins.

Each sitter gets a requested booking of their own, tied by ``request_group``.
Accepting one locks every booking of the group first, always in id order
(:func:`request_group_locked`), so two sitters accepting at once queue instead
of deadlocking; the winner's acceptance withdraws the others in the same
transaction (``cancelled``, ``cancel_reason: "taken"``, their sitters told),
and a sitter who comes second finds their copy withdrawn: 409
``request_taken``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction

from accounts.models import User
from bookings.errors import BookingError
from bookings.models import Booking, BookingStatus
from bookings.services.create import booking_create
from bookings.services.transition import booking_event_record
from bookings.transitions import Party, allowed
from guardiannest.errors import ApplicationError, invalid

MIN_SITTERS = 2
# The cancel_reason of a request withdrawn because another sitter of its group accepted (API.md).
TAKEN = "taken"
WITHDRAWN_NOTICE = ("booking.withdrawn", (Party.SITTER,))


def booking_request_group_create(
    *,
    parent: User,
    sitter_ids: Sequence[UUID],
    starts_at: datetime,
    ends_at: datetime,
    child_ids: Sequence[UUID],
    notes: str = "",
) -> tuple[UUID, list[Booking]]:
    """Ask 2 to ``BOOKING_REQUEST_MAX_SITTERS`` (5) sitters for the same time; answer the group and its bookings.

    The bookings come in the order the sitters were named.

    All or nothing: each sitter is checked by :func:`booking_create` with its
    rules, and the first refusal refuses the whole request (its code, the
    detail naming the sitter) with nothing created.
    """
    wanted, most = list(dict.fromkeys(sitter_ids)), settings.BOOKING_REQUEST_MAX_SITTERS
    if len(wanted) != len(sitter_ids):
        raise invalid("sitter_ids", "Name each sitter once.")
    if not MIN_SITTERS <= len(wanted) <= most:
        raise invalid("sitter_ids", f"Name {MIN_SITTERS} to {most} sitters.")
    group = uuid.uuid4()
    made: list[Booking] = []
    with transaction.atomic():
        for sitter_id in wanted:
            try:
                made.append(
                    booking_create(
                        parent=parent,
                        sitter_id=sitter_id,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        child_ids=child_ids,
                        notes=notes,
                        request_group=group,
                    )
                )
            except ApplicationError as exc:
                raise ApplicationError(
                    exc.code,
                    f"Sitter {sitter_id}: {exc.detail}",
                    errors=exc.errors,
                    retry_after=exc.retry_after,
                    refusal=exc.refusal,
                ) from exc
    return group, made


@contextmanager
def request_group_locked(*, booking_id: UUID, actor: User) -> Iterator[None]:
    """A transaction holding the booking's whole request group, locked in id order, for the accept inside it.

    Nothing (no transaction) for a booking sent to one sitter. The sitter of
    a copy already withdrawn (another sitter won) is told so: 409
    ``request_taken``.
    """
    group = Booking.objects.filter(pk=booking_id).values_list("request_group", flat=True).first()
    if group is None:
        yield
        return
    with transaction.atomic():
        rows = Booking.objects.select_for_update(of=("self",)).filter(request_group=group).order_by("pk")
        for pk, sitter_id, status, reason in rows.values_list("pk", "sitter_id", "status", "cancel_reason"):
            taken = status == BookingStatus.CANCELLED and reason == TAKEN
            if pk == booking_id and sitter_id == actor.pk and taken:
                raise ApplicationError(BookingError.REQUEST_TAKEN, "Another sitter accepted this request first.")
        yield


def request_group_withdraw_others(*, booking: Booking) -> dict[str, Any]:
    """The winner (``booking``, being accepted, its group locked) withdraws the group's other open requests.

    Each becomes ``cancelled`` with ``cancel_reason: "taken"``: one event, an
    audit record and a ``booking.updated`` broadcast each, and its sitter is
    told (``booking.withdrawn``); the parent hears of the acceptance only.
    Answers the withdrawn ids, for the winner's event.
    """
    if booking.request_group is None:
        return {}
    assert allowed(BookingStatus.REQUESTED, BookingStatus.CANCELLED, Party.SYSTEM)
    others = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("parent", "sitter")
        .filter(request_group=booking.request_group, status=BookingStatus.REQUESTED)
        .exclude(pk=booking.pk)
        .order_by("pk")
    )
    withdrawn = []
    for other in others:
        other.status, other.cancel_reason = BookingStatus.CANCELLED, TAKEN
        other.save(update_fields=["status", "cancel_reason", "updated_at"])
        booking_event_record(
            booking=other,
            previous=BookingStatus.REQUESTED,
            actor=None,
            party=Party.SYSTEM,
            reason=TAKEN,
            data={"taken_by": str(booking.pk)},
            notice=WITHDRAWN_NOTICE,
        )
        withdrawn.append(str(other.pk))
    return {"withdrawn": withdrawn} if withdrawn else {}
