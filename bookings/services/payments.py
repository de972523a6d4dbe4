"""What bookings does when payments reports on a booking's payment (registered in BookingsConfig.ready()),
and the money a booking moves beyond its first authorisation.

Payments never imports bookings: it tells every registered handler about each
change of a payment whose reference is a booking's id. Notices repeat and
arrive in any order, so this reads the payment as it is now and moves the
booking only where the transitions table allows. A payment authorised once
the booking is already over (cancelled, declined or expired: the parent
approved it with their bank too late, or an authorisation raced the
cancellation) is settled here: the cancellation fee is taken from it, the
rest released, so no money stays held for a booking that will not happen.

Overtime: Stripe captures at most what a PaymentIntent authorised (incremental
authorisation is limited to some card-present payments), so worked time
beyond the authorised price is charged as a second off-session payment on the
parent's saved card (reference ``<booking id>:overtime``), authorised and
captured at once, retried until paid or given up (:mod:`bookings.services.overtime`);
each payment keeps its own balanced ledger entries.
"""

from __future__ import annotations

import uuid
from uuid import UUID

import structlog
from django.db import transaction

from accounts.models import User
from bookings.errors import BookingError
from bookings.models import Booking, BookingStatus
from bookings.services.lifecycle import booking_payment_record
from bookings.services.transition import _notify
from bookings.transitions import Party
from guardiannest.audit.models import AuditEvent
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError
from payments.errors import PaymentError
from payments.handlers import PaymentEvent, PaymentNotice
from payments.models import Payment, PaymentStatus
from payments.models.payments import CLOSED
from payments.services import payment_capture, payment_release

logger = structlog.get_logger("bookings")

# A booking in one of these will not happen: an authorisation reaching it late is settled, not kept.
OVER = (BookingStatus.CANCELLED, BookingStatus.DECLINED, BookingStatus.EXPIRED)
OVERTIME_SUFFIX = ":overtime"


def booking_payment_changed(notice: PaymentNotice) -> None:
    """Follow a booking's payment: authorised → the accepted booking is confirmed, or settled if it is over."""
    try:
        booking_id = uuid.UUID(notice.reference)
    except ValueError:
        return  # not a booking's payment (an overtime charge has a reference of its own)
    if not Booking.objects.filter(pk=booking_id).exists():
        return
    payment = Payment.objects.get(pk=notice.payment_id)
    if notice.event == PaymentEvent.REAUTHORISATION_FAILED:
        _reauthorisation_failed(booking_id, payment)
        return
    if payment.status == PaymentStatus.AUTHORISED and booking_payment_settle_late(
        booking_id=booking_id, payment=payment
    ):
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


def booking_payment_settle_late(*, booking_id: UUID, payment: Payment) -> bool:
    """Settle ``payment``, authorised for a booking that is already over; False when the booking is not over.

    The cancellation fee (set when it was cancelled) is captured from it when
    no other payment of the booking took it, and the rest released; otherwise
    all of it is released. The booking links the payment when it had none
    (or only a closed one), so it shows what happened. Idempotent: a payment
    already captured or released by an earlier notice is left as it is.
    """
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).filter(pk=booking_id).first()
        if booking is None or booking.status not in OVER:
            return False
        linked = Payment.objects.filter(pk=booking.payment_id).first() if booking.payment_id else None
        fee_taken_elsewhere = linked is not None and linked.pk != payment.pk and linked.captured_amount > 0
        if linked is None or (linked.pk != payment.pk and linked.status in CLOSED):
            booking.payment = payment
            booking.save(update_fields=["payment", "updated_at"])
    fee = 0 if fee_taken_elsewhere else booking.cancellation_fee_amount
    try:
        if fee:
            payment_capture(payment=payment, amount=min(fee, payment.amount), actor=None)
        else:
            payment_release(payment=payment, actor=None)
    except ApplicationError as exc:
        if exc.code != PaymentError.NOT_AUTHORISED:
            raise  # the provider is down: the notice task retries
        logger.info("booking_late_payment_already_settled", booking_id=str(booking_id), payment_id=str(payment.pk))
        return True
    logger.info("booking_late_payment_settled", booking_id=str(booking_id), payment_id=str(payment.pk), fee=fee)
    return True


def booking_worked_capture(*, payment: Payment, amount: int, actor: User | None) -> int:
    """Capture the worked ``amount`` from the booking's authorised payment, up to what it authorised.

    Answers what is left over (the overtime beyond the authorisation), owed as
    a second payment (:mod:`bookings.services.overtime`).
    """
    captured = min(amount, payment.amount)
    payment_capture(payment=payment, amount=captured, actor=actor)
    return amount - captured
