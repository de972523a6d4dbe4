"""Receipts by email: one for every capture and one for every refund, through messaging's notify.

Each carries the signed link to the receipt page (:mod:`payments.receipts`).
"""

from __future__ import annotations

from messaging.services.notifications import notify
from payments.models import Payment, Refund
from payments.receipts import money_text, receipt_url


def receipt_capture_notify(*, payment: Payment) -> None:
    """Email the payer the receipt of a capture (inside the capture's transaction: it leaves after commit)."""
    notify(
        user=payment.payer,
        kind="payment.receipt",
        context={
            "amount": money_text(payment.captured_amount, payment.currency),
            "payment_id": str(payment.pk),
            "link": receipt_url(payment=payment),
        },
    )


def receipt_refund_notify(*, payment: Payment, refund: Refund) -> None:
    """Email the payer that ``refund`` was made, with the link to the updated receipt."""
    notify(
        user=payment.payer,
        kind="payment.refund",
        context={
            "amount": money_text(refund.amount, refund.currency),
            "payment_id": str(payment.pk),
            "link": receipt_url(payment=payment),
        },
    )
