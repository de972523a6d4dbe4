"""Receipt links: a page opened by a signed link, no sign-in needed.

The link carries the payment id and a timestamped signature over it
(``TimestampSigner``, salt :data:`RECEIPT_SALT`), valid for
``PAYMENTS_RECEIPT_LINK_DAYS``: whoever holds the link reads that one receipt
without signing in, and no other payment's id verifies with it, so receipts
cannot be reached by guessing. A bad or expired signature is "not found",
exactly like a missing payment.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signing import BadSignature, TimestampSigner
from django.urls import reverse

from payments.models import Payment
from payments.models.payments import SETTLED

RECEIPT_SALT = "payments.receipt"
RECEIPT_SIGNATURE_MAX = 200  # characters of a signature worth checking; longer is refused unread


def money_text(amount: int, currency: str) -> str:
    """``50.00 EUR``: minor units of a two-decimal currency, as a receipt shows them."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    return f"{sign}{amount // 100}.{amount % 100:02d} {currency.upper()}"


def receipt_signature(*, payment_id: Any) -> str:
    value = str(payment_id)
    return TimestampSigner(salt=RECEIPT_SALT).sign(value)[len(value) + 1 :]


def receipt_url(*, payment: Payment) -> str | None:
    """The signed link to the payment's receipt, or None while nothing was taken (no receipt yet)."""
    if payment.status not in SETTLED:
        return None
    base = (getattr(settings, "API_PUBLIC_URL", "") or settings.FRONTEND_URL).rstrip("/")
    path = reverse("payments:receipt", kwargs={"payment_id": payment.pk})
    return f"{base}{path}?signature={receipt_signature(payment_id=payment.pk)}"


def receipt_signature_valid(*, payment_id: Any, signature: str) -> bool:
    """True for a signature :func:`receipt_signature` made for this payment, within ``PAYMENTS_RECEIPT_LINK_DAYS``."""
    max_age = settings.PAYMENTS_RECEIPT_LINK_DAYS * 24 * 3600
    try:
        TimestampSigner(salt=RECEIPT_SALT).unsign(f"{payment_id}:{signature[:RECEIPT_SIGNATURE_MAX]}", max_age=max_age)
    except BadSignature:  # SignatureExpired included
        return False
    return True
