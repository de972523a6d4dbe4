"""Taking the money (capture) and giving it back (refund), each exactly once under the payment's row lock.

Both hold the payment row while the provider answers, so concurrent calls
queue and each sees the state the previous one left: twenty simultaneous
captures capture once, and refunds never add up past the capture. Each call
to the provider carries the key of its logical operation.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from guardiannest.errors import ApplicationError, invalid
from payments.errors import PaymentError
from payments.fees import fee_refunded
from payments.handlers import PaymentEvent
from payments.models import LedgerKind, Payment, PaymentStatus, Refund, RefundStatus
from payments.providers import payment_provider
from payments.services.calls import provider_call
from payments.services.ledger import ledger_post, refund_lines
from payments.services.payouts import transfer_settle_on_commit
from payments.services.receipts import receipt_refund_notify
from payments.services.state import payment_apply_intent, payment_transition


def payment_capture(*, payment: Payment, amount: int, actor: User | None) -> Payment:
    """Take ``amount`` (at most what was authorised) of an authorised payment; the rest is released.

    Only an ``authorised`` payment can be captured: a captured, released or
    failed one is a 409, and so is one still waiting for the parent.
    """
    if amount < 1:
        raise invalid("amount", "Capture at least 1 minor unit; release the payment to take nothing.")
    provider = payment_provider()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.AUTHORISED:
            raise ApplicationError(
                PaymentError.NOT_AUTHORISED, f"Only an authorised payment is captured; it is {payment.status}."
            )
        if amount > payment.amount:
            raise invalid("amount", f"At most the {payment.amount} authorised.", PaymentError.CAPTURE_TOO_LARGE)
        intent_id, key = str(payment.provider_intent_id), f"payment:{payment.pk}:capture"
        intent = provider_call(lambda: provider.intent_capture(intent_id=intent_id, amount=amount, idempotency_key=key))
        payment_apply_intent(payment=payment, intent=intent, actor=actor, requested_capture=amount)
        return payment


def payment_refund(*, payment: Payment, amount: int | None, actor: User | None) -> Refund:
    """Give back ``amount`` (everything still refundable when None) of a captured payment.

    Never more than was captured, whatever ran before: more is a 400 and
    nothing moves; a payment with nothing captured, or all refunded, is a 409.
    """
    if amount is not None and amount < 1:
        raise invalid("amount", "Refund at least 1 minor unit.", PaymentError.AMOUNT_INVALID)
    provider = payment_provider()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED):
            raise ApplicationError(
                PaymentError.NOT_CAPTURED, f"Nothing is left to refund; the payment is {payment.status}."
            )
        refundable = payment.captured_amount - payment.refunded_amount
        amount = refundable if amount is None else amount
        if amount > refundable:
            raise invalid("amount", f"At most the {refundable} still captured.", PaymentError.REFUND_TOO_LARGE)
        intent_id = str(payment.provider_intent_id)
        key = f"payment:{payment.pk}:refund:{payment.refunds.count() + 1}"
        result = provider_call(lambda: provider.refund_create(intent_id=intent_id, amount=amount, idempotency_key=key))
        before, after = payment.refunded_amount, payment.refunded_amount + amount
        share = fee_refunded(fee=payment.fee_amount, captured=payment.captured_amount, refunded=after) - fee_refunded(
            fee=payment.fee_amount, captured=payment.captured_amount, refunded=before
        )
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            currency=payment.currency,
            status=RefundStatus(result.status) if result.status in RefundStatus.values else RefundStatus.PENDING,
            provider_refund_id=result.id,
            created_by=actor,
        )
        ledger_post(payment=payment, kind=LedgerKind.REFUND, lines=refund_lines(amount=amount, fee_share=share))
        payment.refunded_amount = after
        status = PaymentStatus.REFUNDED if after == payment.captured_amount else PaymentStatus.PARTIALLY_REFUNDED
        data = {"refund": str(refund.pk), "refunded_now": amount, "refunded": after}
        payment_transition(
            payment=payment,
            status=status,
            event=PaymentEvent.REFUNDED,
            actor=actor,
            data=data,
            moved=("refunded", amount),
        )
        transfer_settle_on_commit(payment_id=str(payment.pk))  # a transfer already made gives back its part
        receipt_refund_notify(payment=payment, refund=refund)
        return refund
