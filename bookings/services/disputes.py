"""Disputes: the parent contests the hours of a completed booking; staff resolve it, with a refund or without.

A dispute comes instead of the hours' confirmation (API.md): while the hours
are pending and within ``BOOKING_DISPUTE_WINDOW_HOURS`` of the check-out.
So the payment is usually still only authorised when staff resolve: the
resolution captures what the hours cost (as a confirmation would), then
gives ``refund`` back through payments' ``payment_refund``, and the booking
is ``completed`` with its hours confirmed. Money moves under the booking's
lock, so two staff members resolving at once resolve once; if the refund
fails after the capture, the capture is kept, the booking stays disputed and
resolving again refunds without capturing twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bookings.errors import BookingError
from bookings.models import Booking, BookingStatus, HoursStatus
from bookings.services.transition import (
    DISPUTE_RESOLVED,
    booking_event_record,
    booking_transition,
    party_of,
    refuse,
)
from bookings.services.work import worked_amount
from bookings.transitions import Party, allowed
from guardiannest.errors import ApplicationError, invalid, not_found
from guardiannest.text import clean_text
from payments.models import Payment, PaymentStatus
from payments.services import payment_capture, payment_refund

S = BookingStatus
REASON_MAX = 500
RESOLVED = DISPUTE_RESOLVED


def booking_dispute(*, booking_id: UUID, actor: User, reason: str) -> Booking:
    """The parent disputes the hours of a completed booking (``disputed``); the payment waits for staff.

    409 ``hours_not_pending`` once the hours are confirmed, 409
    ``dispute_window_closed`` after the window; a repeat changes nothing.
    """
    why = clean_text(reason, max_length=REASON_MAX, field="reason")
    if not why:
        raise invalid("reason", "Say what is wrong.")
    now = timezone.now()

    def dispute(booking: Booking, party: Party) -> dict[str, Any]:
        if booking.hours_status != HoursStatus.PENDING_CONFIRMATION:
            raise ApplicationError(BookingError.HOURS_NOT_PENDING, "The hours are confirmed; contact support.")
        assert booking.checked_out_at is not None  # hours pending means checked out
        if now > booking.checked_out_at + timedelta(hours=settings.BOOKING_DISPUTE_WINDOW_HOURS):
            raise ApplicationError(BookingError.DISPUTE_WINDOW_CLOSED, "The time to dispute these hours is over.")
        return {}

    booking, _ = booking_transition(booking_id=booking_id, target=S.DISPUTED, actor=actor, change=dispute, reason=why)
    return booking


def _settle(booking: Booking, refund: int, actor: User) -> dict[str, Any]:
    """Capture what the hours cost if not yet taken, then refund ``refund``; what moved, for the event."""
    payment = Payment.objects.filter(pk=booking.payment_id).first() if booking.payment_id else None
    if payment is None:
        if refund:
            raise ApplicationError(BookingError.NOT_PAID, "Nothing was paid for this booking, so nothing is refunded.")
        return {"captured": 0, "refunded": 0}
    captured = 0
    if payment.status == PaymentStatus.AUTHORISED:
        captured = min(worked_amount(booking), payment.amount)
        refundable = captured
    else:
        refundable = payment.captured_amount - payment.refunded_amount
    if refund > refundable:
        raise invalid("refund", f"At most the {refundable} paid.")
    if captured:
        payment = payment_capture(payment=payment, amount=captured, actor=actor)
    if refund:
        payment_refund(payment=payment, amount=refund, actor=actor)
    return {"captured": captured, "refunded": refund, "payment_id": str(payment.pk)}


def booking_dispute_resolve(*, booking_id: UUID, actor: User, refund: int = 0, note: str = "") -> Booking:
    """Staff end a dispute: ``refund`` minor units back to the parent (0: none); the booking is completed.

    Staff only (the transitions table). A resolved dispute answers as it is.
    400 naming ``refund`` for a negative amount or more than was paid.
    """
    if isinstance(refund, bool) or not isinstance(refund, int) or refund < 0:
        raise invalid("refund", "A whole number of minor units, 0 or more.")
    why = clean_text(note, max_length=REASON_MAX, field="note")
    failure: ApplicationError | None = None
    with transaction.atomic():
        rows = Booking.objects.select_for_update(of=("self",)).select_related("parent", "sitter")
        booking = rows.filter(pk=booking_id).first()
        if booking is None:
            raise not_found("No such booking.")
        party = party_of(booking, actor)
        if booking.status == S.COMPLETED and booking.events.filter(reason=RESOLVED).exists():
            return booking
        if not allowed(booking.status, S.COMPLETED, party):
            raise refuse(booking, S.COMPLETED)
        try:
            data = _settle(booking, refund, actor)
        except ApplicationError as exc:  # the capture (if any) stays recorded; the booking stays disputed
            failure = exc
        else:
            booking.status, booking.hours_status = S.COMPLETED, HoursStatus.CONFIRMED
            booking.save()
            booking_event_record(
                booking=booking,
                previous=S.DISPUTED,
                actor=actor,
                party=party,
                reason=RESOLVED,
                data={**data, "note": why},
                move=DISPUTE_RESOLVED,
            )
    if failure is not None:
        raise failure
    return booking
