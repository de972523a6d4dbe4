"""How other apps hear about payments for their objects, without payments knowing them.

An app (bookings) registers a handler when it loads::

    payment_handlers.register("bookings", booking_payment_changed)

Each handler gets a :class:`PaymentNotice` for every change of a payment:
authorised, requires_action, failed, captured, released, refunded, disputed
(a chargeback opened), dispute_closed, or reauthorisation_failed (an
authorisation nearing the provider's limit could not be renewed: it lapses
unless captured first, and the payer should act), whether a service call or a
provider's webhook caused it. Notices leave after
the change commits, through a Celery task that retries, so a handler may see
one more than once and in any order: it must read ``notice.status`` (the
payment's state when delivered) and be idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from django.db import transaction

from guardiannest.registries import Registry


class PaymentEvent(StrEnum):
    AUTHORISED = "authorised"
    REQUIRES_ACTION = "requires_action"
    FAILED = "failed"
    CAPTURED = "captured"
    RELEASED = "released"
    REFUNDED = "refunded"
    DISPUTED = "disputed"
    DISPUTE_CLOSED = "dispute_closed"
    REAUTHORISATION_FAILED = "reauthorisation_failed"


@dataclass(frozen=True)
class PaymentNotice:
    event: PaymentEvent
    payment_id: str
    reference: str
    status: str
    amount: int
    captured_amount: int
    refunded_amount: int
    currency: str


PaymentHandler = Callable[[PaymentNotice], None]
payment_handlers: Registry[PaymentHandler] = Registry("payment_handlers")


def payment_event_on_commit(*, payment_id: str, event: PaymentEvent) -> None:
    """Send ``event`` to every handler once the current transaction commits (nothing if it rolls back)."""
    from payments.tasks import payment_event_deliver_task

    transaction.on_commit(partial(payment_event_deliver_task.delay, payment_id, str(event)), robust=True)
