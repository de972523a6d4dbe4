"""What bookings does when payments reports on a booking's payment (registered in BookingsConfig.ready()).

Payments never imports bookings: it tells every registered handler about each
change of a payment whose reference is a booking's id. Notices repeat and
arrive in any order, so this reads the payment as it is now and moves the
booking only where the transitions table allows; anything else is ignored.
"""

from __future__ import annotations

import uuid

import structlog
from django.db import transaction

from bookings.errors import BookingError
from bookings.models import Booking, BookingStatus
from bookings.services.lifecycle import booking_payment_record
from bookings.services.transition import _notify
from bookings.transitions import Party
from guardiannest.audit.models import AuditEvent
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError
from payments.handlers import PaymentEvent, PaymentNotice
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
    if notice.event == PaymentEvent.REAUTHORISATION_FAILED:
        _reauthorisation_failed(booking_id, payment)
        return
    try:
        booking_payment_record(booking_id=booking_id, payment=payment)
    except ApplicationError as exc:
        if exc.code != BookingError.TRANSITION_NOT_ALLOWED:
            raise
        logger.info("booking_payment_notice_ignored", booking_id=str(booking_id), payment_status=payment.status)


def _reauthorisation_failed(booking_id: uuid.UUID, payment: Payment) -> None:
    """The authorisation could not be renewed before it lapses: the parent is asked to act, once per failure."""
    if payment.reauth_failed_at is None:
        return
    failure = f"{payment.pk}:{payment.reauth_failed_at.isoformat()}"
    action = "booking.payment_reauthorisation_failed"
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related("parent", "sitter").get(pk=booking_id)
        if booking.status not in (BookingStatus.ACCEPTED, BookingStatus.CONFIRMED):
            return  # under way, over or cancelled: nothing left to keep
        if AuditEvent.objects.filter(action=action, target_id=str(booking.pk), data__failure=failure).exists():
            return  # told already (notices repeat)
        _notify(booking, "booking.payment_action_needed", Party.PARENT, None)
        audit_record(action=action, target=booking, data={"failure": failure, "payment_id": str(payment.pk)})
