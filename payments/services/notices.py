"""Delivering payment notices to the apps that registered for them (:mod:`payments.handlers`)."""

from __future__ import annotations

import structlog

from payments.handlers import PaymentEvent, PaymentNotice, payment_handlers
from payments.models import Payment

logger = structlog.get_logger("payments.handlers")


def payment_event_deliver(*, payment_id: str, event: str) -> int:
    """Hand ``event`` about the payment, as it is now, to every registered handler; return how many ran.

    A payment gone (it cannot be: payments are kept) is logged and skipped. A
    handler that raises stops the delivery and the task retries it: handlers
    are idempotent, so the ones that already ran may run again.
    """
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        logger.warning("payment_notice_for_missing_payment", payment_id=payment_id, payment_event=event)
        return 0
    notice = PaymentNotice(
        event=PaymentEvent(event),
        payment_id=str(payment.pk),
        reference=payment.reference,
        status=payment.status,
        amount=payment.amount,
        captured_amount=payment.captured_amount,
        refunded_amount=payment.refunded_amount,
        currency=payment.currency,
    )
    handlers = payment_handlers.items()
    for _name, handler in handlers:
        handler(notice)
    return len(handlers)
