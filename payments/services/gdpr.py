"""GDPR for payments: what the app holds about a user, and what erasing the account does to it.

Registered in ``PaymentsConfig.ready`` as ``gdpr_exporters`` / ``gdpr_erasers``
entry ``"payments"``; both run for every user (a parent pays, a sitter earns).

The choice on erasure: payments, refunds, transfers and ledger entries are
financial records that bookkeeping and tax law make us keep for years (and
Stripe keeps its own copy of the charge and the sitter's identity checks). So
they stay, amounts and dates intact, and lose their link to the person by
pointing at the user row that accounts anonymises in the same transaction
(email ``erased-<id>@invalid``, no name, no phone). What is not a financial
record goes: the saved cards' brand, last four digits and expiry (a card is
the person's, not the payment's; a payment that used one keeps its amounts),
and a client secret still held for a payment waiting on the bank. After the
commit, the user's customer at the provider is deleted too (its email and
saved cards; Stripe keeps the charges). The sitter's connected account stays:
Stripe keeps its identity checks as the law requires, and we keep its id for
the transfers that point at it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q

from accounts.models import User
from guardiannest.audit.services import audit_record
from payments.fees import sitter_share
from payments.models import ConnectedAccount, Payment, PaymentCustomer, PaymentMethod, Transfer
from payments.providers import payment_provider
from payments.services.calls import provider_call


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _payment(payment: Payment) -> dict[str, Any]:
    return {
        "id": str(payment.pk),
        "booking_id": payment.reference,
        "status": payment.status,
        "currency": payment.currency,
        "amount": payment.amount,
        "captured_amount": payment.captured_amount,
        "fee": payment.fee_amount,
        "refunded_amount": payment.refunded_amount,
        "created_at": _iso(payment.created_at),
        "captured_at": _iso(payment.captured_at),
    }


def payments_export(user: User) -> dict[str, Any]:
    """Payments made (with refunds), cards (brand and last four only), earnings, transfers and payout account."""
    made = Payment.objects.filter(payer=user).prefetch_related("refunds").order_by("created_at")
    earned = Payment.objects.filter(payee=user).order_by("created_at")
    methods = PaymentMethod.objects.filter(customer__user=user).order_by("created_at")
    transfers = Transfer.objects.filter(payment__payee=user).select_related("payment").order_by("created_at")
    accounts = ConnectedAccount.objects.filter(user=user).order_by("created_at")
    return {
        "payments": [
            {
                **_payment(payment),
                "refunds": [
                    {"amount": refund.amount, "status": refund.status, "created_at": _iso(refund.created_at)}
                    for refund in sorted(payment.refunds.all(), key=lambda refund: refund.created_at)
                ],
            }
            for payment in made
        ],
        "payment_methods": [{"brand": method.brand, "last4": method.last4} for method in methods],
        "earnings": [
            {
                **_payment(payment),
                "earning": sitter_share(
                    captured=payment.captured_amount, fee=payment.fee_amount, refunded=payment.refunded_amount
                ),
            }
            for payment in earned
        ],
        "transfers": [
            {
                "id": str(transfer.pk),
                "booking_id": transfer.transfer_group,
                "amount": transfer.amount,
                "reversed_amount": transfer.reversed_amount,
                "currency": transfer.currency,
                "status": transfer.status,
                "created_at": _iso(transfer.created_at),
            }
            for transfer in transfers
        ],
        "payout_accounts": [
            {
                "provider": account.provider,
                "details_submitted": account.details_submitted,
                "payouts_enabled": account.payouts_enabled,
                "onboarded_at": _iso(account.onboarded_at),
            }
            for account in accounts
        ],
    }


@transaction.atomic
def payments_erase(user: User) -> None:
    """Forget the user's cards and pending client secrets; keep every money record (see the module's note)."""
    cards = PaymentMethod.objects.filter(customer__user=user).delete()[0]
    # Encrypted at rest, so not comparable in SQL: blank it on every payment of theirs.
    kept = Payment.objects.filter(Q(payer=user) | Q(payee=user)).update(client_secret="")
    audit_record(action="payments.erased", target=user, data={"cards": cards, "payments_kept": kept})
    from payments.tasks import payment_customer_forget_task

    for customer in PaymentCustomer.objects.filter(user=user):
        transaction.on_commit(partial(payment_customer_forget_task.delay, customer.pk), robust=True)


def payment_customer_forget(*, customer: PaymentCustomer) -> None:
    """Delete an erased user's customer at the provider it lives at (idempotent: gone is gone)."""
    provider = payment_provider()
    if provider.name != customer.provider:
        return  # another provider's customer: this deployment cannot reach it
    provider_call(lambda: provider.customer_delete(customer_id=customer.provider_customer_id))
    audit_record(action="payments.customer_deleted", target=customer, data={"provider": customer.provider})
