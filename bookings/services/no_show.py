"""A no-show: the sitter never checked in. The parent (or staff) reports it after the start and a grace period.

It is the named move ``no_show`` of :mod:`bookings.transitions`: an accepted
or confirmed booking becomes ``cancelled`` with ``cancel_reason: "no_show"``,
free for the family (the authorisation is released), the sitter's hold goes,
and the no-show counts in the sitter's reliability (their public profile).
Chosen over a beat job marking missed check-ins: the family knows whether
the sitter came (a late check-in is still possible until then).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from bookings.errors import BookingError
from bookings.models import HELD, Booking, BookingStatus
from bookings.services.transition import booking_transition, refuse
from bookings.transitions import NO_SHOW, Party, allowed_named
from guardiannest.errors import ApplicationError
from payments.models import Payment, PaymentStatus
from payments.services import payment_release
from sitters.models import ReliabilityKind
from sitters.services.calendar import hold_release
from sitters.services.reliability import reliability_record

logger = structlog.get_logger("bookings")
S = BookingStatus


def booking_no_show(*, booking_id: UUID, actor: User) -> Booking:
    """Report that the sitter did not come: from ``BOOKING_NO_SHOW_GRACE_MINUTES`` after the start.

    409 ``no_show_too_early`` before then; 409 ``transition_not_allowed`` for
    the sitter, or once checked in. Reporting it again changes nothing.
    """
    now = timezone.now()

    def no_show(booking: Booking, party: Party) -> dict[str, Any]:
        if not allowed_named(NO_SHOW, booking.status, S.CANCELLED, party):
            raise refuse(booking, S.CANCELLED)
        if now < booking.starts_at + timedelta(minutes=settings.BOOKING_NO_SHOW_GRACE_MINUTES):
            raise ApplicationError(
                BookingError.NO_SHOW_TOO_EARLY, "A no-show is reported after the start and its grace."
            )
        booking.cancellation_fee_amount = 0
        booking.cancelled_by, booking.cancel_reason = actor, NO_SHOW
        if booking.status in HELD:
            hold_release(reference=booking.pk, actor=actor)
        reliability_record(
            sitter_id=booking.sitter_id, booking_id=booking.pk, kind=ReliabilityKind.NO_SHOW, occurred_at=now
        )
        return {"no_show": True}

    booking, moved = booking_transition(
        booking_id=booking_id, target=S.CANCELLED, actor=actor, change=no_show, reason=NO_SHOW, move=NO_SHOW
    )
    if moved and booking.payment_id is not None:
        payment = Payment.objects.get(pk=booking.payment_id)
        if payment.status in (PaymentStatus.AUTHORISED, PaymentStatus.REQUIRES_ACTION):
            try:
                payment_release(payment=payment, actor=actor)
            except ApplicationError as exc:  # the provider is down: the authorisation lapses by itself
                logger.warning("booking_no_show_release_failed", booking_id=str(booking.pk), code=str(exc.code))
    return booking
