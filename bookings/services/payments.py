"""What bookings does when payments reports on a booking's payment (registered in BookingsConfig.ready()).

Payments never imports bookings: it tells every registered handler about each
change of a payment whose reference is a booking's id. Notices repeat and
arrive in any order, so this reads the payment as it is now and moves the
booking only where the transitions table allows; anything else is ignored.
"""

from __future__ import annotations

import uuid

import structlog

from bookings.errors import BookingError
from bookings.models import Booking
from bookings.services.lifecycle import booking_payment_record
from guardiannest.errors import ApplicationError
from payments.handlers import PaymentNotice
from payments.models import Payment

logger = structlog.get_logger("bookings")


def booking_payment_changed(notice: PaymentNotice) -> None:
    """Follow a booking's payment: authorised → the accepted booking is confirmed; else the link is kept."""
    try:
        booking_id = uuid.UUID(notice.reference)
    except ValueError:
        return  # not a booking's payment
    if not Booking.objects.filter(pk=booking_id).exists():
        return
    payment = Payment.objects.get(pk=notice.payment_id)
    try:
        booking_payment_record(booking_id=booking_id, payment=payment)
    except ApplicationError as exc:
        if exc.code != BookingError.TRANSITION_NOT_ALLOWED:
            raise
        logger.info("booking_payment_notice_ignored", booking_id=str(booking_id), payment_status=payment.status)
