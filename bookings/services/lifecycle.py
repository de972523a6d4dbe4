"""The moves of a booking after its request: accept, decline, cancel, expire, and the payment's confirmation.

Each is one :func:`~bookings.services.transition.booking_transition`. The
money moves with them but after them: the provider is called once the
booking's own change has committed (authorise after accept; capture the fee
or release after a cancellation), so a slow or failing provider never holds
the booking's lock, and what it answers is recorded by a move of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bookings import policy
from bookings.errors import BookingError
from bookings.models import HELD, Booking, BookingStatus
from bookings.services.groups import request_group_locked, request_group_withdraw_others
from bookings.services.transition import booking_event_record, booking_transition
from bookings.transitions import Party, allowed
from guardiannest.errors import ApplicationError
from guardiannest.text import clean_text
from payments.models import Payment, PaymentStatus
from payments.services import payment_authorise, payment_capture, payment_release
from sitters.errors import SitterError
from sitters.models import ReliabilityKind
from sitters.selectors.calendar import hold_overlapping
from sitters.services.calendar import hold_place, hold_release
from sitters.services.reliability import reliability_record

logger = structlog.get_logger("bookings")

REASON_MAX = 500
S = BookingStatus


def _hold(booking: Booking, actor: User | None) -> None:
    """The sitter's hold for the booking, in the caller's transaction; 409 ``booking_overlap`` if taken."""
    try:
        hold_place(
            sitter_id=booking.sitter_id,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            reference=booking.pk,
            actor=actor,
        )
    except ApplicationError as exc:
        if exc.code != SitterError.SITTER_UNAVAILABLE:
            raise
        overlapping = hold_overlapping(
            sitter_id=booking.sitter_id, starts_at=booking.starts_at, ends_at=booking.ends_at
        )
        if overlapping.exclude(reference=booking.pk).exists():
            raise ApplicationError(BookingError.OVERLAP, "The sitter is already booked during this period.") from exc
        raise


def booking_accept(*, booking_id: UUID, actor: User) -> Booking:
    """The sitter accepts: their time is held in the same transaction, then the payment is authorised.

    ``confirmed`` when the authorisation succeeds; otherwise the booking
    stays ``accepted`` and its payment says why (``requires_payment_method``,
    ``requires_action``). Accepting an accepted booking again retries the
    authorisation; a confirmed one is answered as it is. Accepting one
    booking of a multi-sitter request withdraws the others
    (:mod:`bookings.services.groups`).
    """

    def hold(booking: Booking, party: Party) -> dict[str, Any]:
        _hold(booking, actor)
        return request_group_withdraw_others(booking=booking)

    with request_group_locked(booking_id=booking_id, actor=actor):  # a multi-sitter request: the first wins
        booking, _ = booking_transition(booking_id=booking_id, target=S.ACCEPTED, actor=actor, done=HELD, change=hold)
    if booking.status == S.ACCEPTED:
        booking = booking_payment_authorise(booking=booking, actor=actor)
    return booking


def booking_payment_authorise(*, booking: Booking, actor: User | None) -> Booking:
    """Authorise the price on the parent's card (payments is idempotent per booking) and record the outcome."""
    try:
        payment = payment_authorise(
            payer=booking.parent,
            payee=booking.sitter,
            amount=booking.price_amount,
            reference=str(booking.pk),
            actor=actor,
        )
    except ApplicationError as exc:  # the provider is down or refused: the booking stays accepted, retry later
        logger.warning("booking_authorise_failed", booking_id=str(booking.pk), code=str(exc.code))
        return booking
    try:
        return booking_payment_record(booking_id=booking.pk, payment=payment)
    except ApplicationError as exc:
        # Cancelled while the provider answered: the payment's notice releases what it holds
        # (bookings.services.payments.booking_payment_changed).
        if exc.code != BookingError.TRANSITION_NOT_ALLOWED:
            raise
        return Booking.objects.get(pk=booking.pk)


def booking_payment_record(*, booking_id: UUID, payment: Payment) -> Booking:
    """Link the booking to its payment; an accepted booking whose payment is authorised becomes ``confirmed``."""
    if payment.status == PaymentStatus.AUTHORISED:

        def link(booking: Booking, party: Party) -> dict[str, Any]:
            booking.payment = payment
            return {"payment_id": str(payment.pk)}

        done = (S.IN_PROGRESS, S.COMPLETED, S.DISPUTED)
        booking, _ = booking_transition(booking_id=booking_id, target=S.CONFIRMED, actor=None, done=done, change=link)
        return booking
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking_id)
        if booking.payment_id != payment.pk:
            booking.payment = payment
            booking.save(update_fields=["payment", "updated_at"])
    return booking


def booking_decline(*, booking_id: UUID, actor: User, reason: str = "") -> Booking:
    """The sitter says no to a request; it never held their time."""
    why = clean_text(reason, max_length=REASON_MAX, field="reason")
    booking, _ = booking_transition(booking_id=booking_id, target=S.DECLINED, actor=actor, reason=why)
    return booking


def booking_cancel(*, booking_id: UUID, actor: User, reason: str = "", waive_fee: bool = False) -> Booking:
    """Either party (or staff) calls it off; the hold goes, and the cancellation policy sets the fee.

    A request not yet accepted, a sitter's cancellation and a staff
    cancellation with ``waive_fee`` are free; otherwise the fee follows
    ``BOOKING_CANCELLATION_POLICY`` by how long before the start it is. After
    commit the fee is captured from the authorisation and the rest released.
    """
    why = clean_text(reason, max_length=REASON_MAX, field="reason")
    now = timezone.now()

    def cancel(booking: Booking, party: Party) -> dict[str, Any]:
        free = booking.status == S.REQUESTED or waive_fee or party == Party.SITTER
        booking.cancellation_fee_amount = (
            0
            if free
            else policy.cancellation_fee(
                price=booking.price_amount, starts_at=booking.starts_at, now=now, by_sitter=False
            )
        )
        booking.cancelled_by, booking.cancel_reason = actor, why
        if booking.status in HELD:
            hold_release(reference=booking.pk, actor=actor)
            if party == Party.SITTER:  # free for the sitter, but parents see it in their reliability
                reliability_record(
                    sitter_id=booking.sitter_id, booking_id=booking.pk, kind=ReliabilityKind.CANCELLED, occurred_at=now
                )
        return {"fee": booking.cancellation_fee_amount}

    booking, moved = booking_transition(
        booking_id=booking_id, target=S.CANCELLED, actor=actor, change=cancel, reason=why
    )
    if moved and booking.payment_id is not None:
        _settle(booking, actor)
    return booking


def _settle(booking: Booking, actor: User | None) -> None:
    """Take the cancellation fee from the authorisation and give the rest back; a provider failure is logged."""
    assert booking.payment_id is not None
    payment = Payment.objects.get(pk=booking.payment_id)
    try:
        if booking.cancellation_fee_amount and payment.status == PaymentStatus.AUTHORISED:
            payment_capture(payment=payment, amount=booking.cancellation_fee_amount, actor=actor)
        elif payment.status in (PaymentStatus.AUTHORISED, PaymentStatus.REQUIRES_ACTION):
            payment_release(payment=payment, actor=actor)
    except ApplicationError as exc:
        logger.warning("booking_settle_failed", booking_id=str(booking.pk), code=str(exc.code))


def booking_expire(*, booking_id: UUID, now: datetime | None = None) -> bool:
    """Expire one unanswered request whose time is up; False when it was answered or expired already.

    The row is claimed by a conditional update (``requested`` and due), so two
    workers running the beat job at once expire it once.
    """
    now = now or timezone.now()
    assert allowed(S.REQUESTED, S.EXPIRED, Party.SYSTEM)
    with transaction.atomic():
        claimed = Booking.objects.filter(pk=booking_id, status=S.REQUESTED, expires_at__lte=now).update(
            status=S.EXPIRED, updated_at=now
        )
        if claimed != 1:
            return False
        booking = Booking.objects.select_related("parent", "sitter").get(pk=booking_id)
        booking_event_record(booking=booking, previous=S.REQUESTED, actor=None, party=Party.SYSTEM, reason="expired")
    return True


def booking_expire_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Expire the requests that are due (the beat job); answer how many this run expired."""
    now = now or timezone.now()
    due = Booking.objects.filter(status=S.REQUESTED, expires_at__lte=now).order_by("expires_at")
    return sum(booking_expire(booking_id=pk, now=now) for pk in due.values_list("pk", flat=True)[:limit])
