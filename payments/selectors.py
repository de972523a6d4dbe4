"""What each user may see of payments: a parent their charges and cards, a sitter their earnings.

Another family's object is "not found", exactly like a missing one.
"""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet, Sum

from accounts.models import User
from guardiannest.errors import not_found
from payments.models import LedgerAccount, LedgerEntry, LedgerSide, Payment, PaymentMethod
from payments.models.payments import SETTLED
from payments.receipts import receipt_signature_valid


def payment_list_for_user(*, user: User) -> QuerySet[Payment]:
    """The payments the user made or is paid by, newest first."""
    return Payment.objects.filter(Q(payer=user) | Q(payee=user)).order_by("-created_at")


def payment_get_for_user(*, payment_id: uuid.UUID, user: User) -> Payment:
    payment = payment_list_for_user(user=user).filter(pk=payment_id).first()
    if payment is None:
        raise not_found("No such payment.")
    return payment


def payment_get_for_staff(*, payment_id: uuid.UUID) -> Payment:
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise not_found("No such payment.")
    return payment


def payment_method_list_for_parent(*, parent: User) -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.filter(customer__user=parent).order_by("-created_at", "-pk")


def payment_method_get_for_parent(*, method_id: uuid.UUID, parent: User) -> PaymentMethod:
    method = payment_method_list_for_parent(parent=parent).filter(pk=method_id).first()
    if method is None:
        raise not_found("No such payment method.")
    return method


def ledger_balances(*, payment: Payment | None = None) -> dict[str, int]:
    """Debits minus credits per account, for one payment or overall (accounts that never moved are 0)."""
    entries = LedgerEntry.objects.all() if payment is None else LedgerEntry.objects.filter(payment=payment)
    balances = dict.fromkeys(LedgerAccount.values, 0)
    for row in entries.values("account", "side").annotate(total=Sum("amount")):
        sign = 1 if row["side"] == LedgerSide.DEBIT else -1
        balances[row["account"]] += sign * int(row["total"])
    return balances


def receipt_get_for_signature(*, payment_id: uuid.UUID, signature: str) -> Payment:
    """The payment a receipt link opens: not found for a bad, expired or another payment's signature, or no receipt."""
    if not receipt_signature_valid(payment_id=payment_id, signature=signature):
        raise not_found("No such receipt.")
    payment = (
        Payment.objects.select_related("payer", "payee", "payment_method")
        .prefetch_related("refunds")
        .filter(pk=payment_id, status__in=SETTLED)
        .first()
    )
    if payment is None:
        raise not_found("No such receipt.")
    return payment
