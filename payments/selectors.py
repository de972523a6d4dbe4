"""What each user may see of payments: a parent their charges and cards, a sitter their earnings.

Another family's object is "not found", exactly like a missing one.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, When

from accounts.models import User
from guardiannest.errors import not_found
from payments.models import (
    ConnectedAccount,
    DisputeCase,
    LedgerAccount,
    LedgerEntry,
    LedgerKind,
    LedgerSide,
    Payment,
    PaymentMethod,
    Transfer,
    TransferStatus,
)
from payments.models.disputes import DISPUTE_CLOSED
from payments.models.payments import SETTLED
from payments.receipts import receipt_signature_valid


def payment_list_for_user(*, user: User) -> QuerySet[Payment]:
    """The payments the user made or is paid by, newest first."""
    return Payment.objects.filter(Q(payer=user) | Q(payee=user)).select_related("transfer").order_by("-created_at")


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


def _sitter_payable_net() -> Subquery:
    """Per payment: what the sitter_payable account holds (debits minus credits; negative = owed to the sitter)."""
    signed = Case(When(side=LedgerSide.DEBIT, then=F("amount")), default=-F("amount"))
    rows = (
        LedgerEntry.objects.filter(payment=OuterRef("pk"), account=LedgerAccount.SITTER_PAYABLE)
        .order_by()
        .values("payment")
        .annotate(net=Sum(signed))
        .values("net")
    )
    return Subquery(rows)


def payment_list_to_transfer(*, payee: User | None = None) -> QuerySet[Payment]:
    """Captured payments whose sitter is owed money, or owes some back, and can be paid: transfer work to do.

    The ledger decides: a payment's ``sitter_payable`` balance is the sitter's
    share not yet transferred (a refund after the transfer turns it the other
    way: a reversal is due). Sitters who have not finished onboarding are left
    out (their earnings accrue), and so are transfers the provider refused
    (they wait for staff to retry them).
    """
    ready = ConnectedAccount.objects.filter(
        user=OuterRef("payee"), provider=OuterRef("provider"), details_submitted=True, payouts_enabled=True
    )
    payments = (
        Payment.objects.filter(status__in=SETTLED)
        .annotate(sitter_payable=_sitter_payable_net())
        .exclude(sitter_payable=0)
        .filter(sitter_payable__isnull=False)
        .exclude(transfer__status=TransferStatus.FAILED)
    )
    payments = payments.filter(Exists(ready))
    if payee is not None:
        payments = payments.filter(payee=payee)
    return payments.order_by("captured_at", "pk")


def earnings_untransferred(*, sitter: User) -> int:
    """The sitter's share of captured payments not yet transferred to them, in minor units (accrued earnings)."""
    payments = Payment.objects.filter(payee=sitter, status__in=SETTLED).annotate(sitter_payable=_sitter_payable_net())
    total = payments.filter(sitter_payable__lt=0).aggregate(total=Sum("sitter_payable"))["total"]
    return -int(total or 0)


def connected_account_get_for_user(*, user: User, provider: str) -> ConnectedAccount | None:
    return ConnectedAccount.objects.filter(user=user, provider=provider).first()


def transfer_list(*, payee: User | None = None) -> QuerySet[Transfer]:
    transfers = Transfer.objects.select_related("payment", "account")
    if payee is not None:
        transfers = transfers.filter(payment__payee=payee)
    return transfers.order_by("-created_at")


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


def payment_counts_by_status() -> dict[str, int]:
    """How many payments are in each status now (one GROUP BY; for the metrics read at scrape time)."""
    rows = Payment.objects.order_by().values_list("status").annotate(count=Count("pk"))
    return {str(status): int(count) for status, count in rows}


def dispute_case_open_count() -> int:
    """Disputes (and inquiries) the provider has not closed yet: won, lost or closed are done (one COUNT)."""
    return DisputeCase.objects.exclude(status__in=DISPUTE_CLOSED).count()


def ledger_revenue_for_period(*, start: datetime, end: datetime, currency: str | None = None) -> int:
    """Money captured minus money refunded in ``[start, end)``, minor units of ``currency`` (the platform's).

    Read from the ledger, where each capture debits and each refund credits the provider's clearing
    account once (one aggregate query): a payment captured yesterday and refunded today lowers today.
    """
    clearing = LedgerEntry.objects.filter(
        account=LedgerAccount.PROVIDER_CLEARING,
        kind__in=(LedgerKind.CAPTURE, LedgerKind.REFUND),
        currency=(currency or settings.PLATFORM_CURRENCY).lower(),
        created_at__gte=start,
        created_at__lt=end,
    )
    signed = Case(
        When(side=LedgerSide.DEBIT, then=F("amount")),
        default=-F("amount"),
    )
    return int(clearing.aggregate(net=Sum(signed, default=0))["net"])
