"""The payments back office: payments with their refunds and ledger lines, refunds, disputes, ledger, provider
events, sitters' payout accounts and the transfers to them.

Dispute cases are listed for staff with filters (status, outcome, reason,
who took them); taking a case calls :func:`payments.services.disputes.dispute_case_take`
and needs the finance permission ``payments.handle_dispute``.

Everything is read-only; money moves only through the services. The refund
action calls :func:`payments.services.payment_refund` (everything still
captured) and the transfer retry :func:`payments.services.transfer_retry`;
both need the finance permission ``payments.refund_payment``. The ledger can
be read, never changed, by anyone, superusers included.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import User
from guardiannest.admin import ReadOnlyAdmin, ReadOnlyInline, service_action
from payments.models import (
    ConnectedAccount,
    DisputeCase,
    LedgerEntry,
    Payment,
    ProviderEvent,
    Refund,
    Transfer,
    TransferReversal,
)
from payments.models.customers import PaymentCustomer, PaymentMethod
from payments.models.simulated import SimulatedObject
from payments.services import payment_refund, transfer_retry
from payments.services.disputes import dispute_case_take

REFUND_PERMISSION = "payments.refund_payment"
FINANCE_PERMISSION = REFUND_PERMISSION  # the one finance permission: money moves only for those who hold it
DISPUTE_PERMISSION = "payments.handle_dispute"


def _refund_all(payment: Payment, actor: User) -> object:
    return payment_refund(payment=payment, amount=None, actor=actor)


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = readonly_fields = ("amount", "currency", "status", "provider_refund_id", "created_by", "created_at")


class LedgerEntryInline(ReadOnlyInline):
    model = LedgerEntry
    fields = readonly_fields = ("created_at", "transaction_id", "kind", "account", "side", "amount", "currency")
    show_change_link = False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "reference", "payer", "payee", "status", "amount", "captured_amount", "refunded_amount")
    list_filter = ("status", "provider")
    search_fields = ("=reference", "=provider_intent_id", "payer__email", "payee__email")
    list_select_related = ("payer", "payee")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fields = readonly_fields = (
        "id",
        "reference",
        "payer",
        "payee",
        "status",
        "amount",
        "currency",
        "captured_amount",
        "fee_amount",
        "refunded_amount",
        "provider",
        "provider_intent_id",
        "payment_method",
        "attempts",
        "last_error_code",
        "created_at",
        "authorised_at",
        "captured_at",
        "released_at",
    )
    inlines = (RefundInline, LedgerEntryInline)
    actions = [service_action("refund_all", "Refund everything still captured", "refund", _refund_all)]

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(REFUND_PERMISSION))


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("id", "payment", "amount", "currency", "status", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("=payment__reference", "=provider_refund_id")
    list_select_related = ("payment", "created_by")
    fields = readonly_fields = (
        "id",
        "payment",
        "amount",
        "currency",
        "status",
        "provider_refund_id",
        "created_by",
        "created_at",
    )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "transaction_id", "kind", "payment", "account", "side", "amount", "currency")
    list_filter = ("kind", "account", "side")
    search_fields = ("=transaction_id", "=payment__reference")
    ordering = ("-id",)
    show_full_result_count = False
    fields = readonly_fields = (
        "transaction_id",
        "kind",
        "payment",
        "account",
        "side",
        "amount",
        "currency",
        "created_at",
    )


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "provider", "type", "event_id", "handled", "payment")
    list_filter = ("provider", "handled", "type")
    search_fields = ("=event_id",)
    ordering = ("-id",)
    fields = readonly_fields = ("provider", "event_id", "type", "handled", "payment", "received_at")


def _retry_transfer(transfer: Transfer, actor: User) -> object:
    return transfer_retry(transfer=transfer, actor=actor)


class TransferReversalInline(ReadOnlyInline):
    model = TransferReversal
    fields = readonly_fields = ("amount", "provider_reversal_id", "created_at")
    show_change_link = False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "transfer_group",
        "account",
        "status",
        "amount",
        "reversed_amount",
        "currency",
        "attempts",
        "last_error_code",
    )
    list_filter = ("status", "account__provider", "last_error_code")
    search_fields = (
        "=transfer_group",
        "=provider_transfer_id",
        "=account__provider_account_id",
        "account__user__email",
    )
    list_select_related = ("account",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fields = readonly_fields = (
        "id",
        "payment",
        "account",
        "transfer_group",
        "status",
        "amount",
        "reversed_amount",
        "currency",
        "provider_transfer_id",
        "attempts",
        "last_error_code",
        "created_at",
        "updated_at",
    )
    inlines = (TransferReversalInline,)
    actions = [service_action("retry_transfer", "Retry the failed transfer", "finance", _retry_transfer)]

    def has_finance_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(FINANCE_PERMISSION))


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(ReadOnlyAdmin):
    list_display = ("user", "provider", "provider_account_id", "details_submitted", "payouts_enabled", "onboarded_at")
    list_filter = ("provider", "details_submitted", "payouts_enabled", "charges_enabled")
    search_fields = ("=provider_account_id", "user__email")
    list_select_related = ("user",)
    fields = readonly_fields = (
        "user",
        "provider",
        "provider_account_id",
        "details_submitted",
        "charges_enabled",
        "payouts_enabled",
        "onboarded_at",
        "created_at",
        "updated_at",
    )


def _take(case: DisputeCase, actor: User) -> object:
    return dispute_case_take(case=case, actor=actor)


@admin.register(DisputeCase)
class DisputeCaseAdmin(ReadOnlyAdmin):
    list_display = (
        "provider_dispute_id",
        "payment",
        "status",
        "amount",
        "currency",
        "reason",
        "evidence_due_by",
        "outcome",
        "handled_by",
        "opened_at",
    )
    list_filter = ("status", "outcome", "reason", "funds_withdrawn", ("handled_by", admin.EmptyFieldListFilter))
    search_fields = ("=provider_dispute_id", "=payment__reference", "=payment__provider_intent_id")
    list_select_related = ("payment", "handled_by")
    date_hierarchy = "opened_at"
    ordering = ("evidence_due_by", "-opened_at")
    fields = readonly_fields = (
        "payment",
        "provider",
        "provider_dispute_id",
        "amount",
        "currency",
        "reason",
        "status",
        "evidence_due_by",
        "funds_withdrawn",
        "outcome",
        "handled_by",
        "handled_at",
        "opened_at",
        "updated_at",
        "closed_at",
    )
    actions = [service_action("take_case", "Take the case (you handle it)", "dispute", _take)]

    def has_dispute_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(DISPUTE_PERMISSION))


@admin.register(TransferReversal)
class TransferReversalAdmin(ReadOnlyAdmin):
    """Money taken back from a sitter's account (a refund after payout); each row is final."""

    list_display = ("created_at", "transfer", "amount", "provider_reversal_id")
    list_filter = (("created_at", admin.DateFieldListFilter),)
    search_fields = ("=provider_reversal_id", "=transfer__transfer_group", "transfer__account__user__email")
    list_select_related = ("transfer",)
    ordering = ("-created_at",)
    fields = readonly_fields = ("id", "transfer", "amount", "provider_reversal_id", "created_at")


@admin.register(PaymentCustomer)
class PaymentCustomerAdmin(ReadOnlyAdmin):
    """Who pays, as the provider knows them; created by the payment services only."""

    list_display = ("user", "provider", "provider_customer_id", "created_at")
    list_filter = ("provider",)
    search_fields = ("=provider_customer_id", "user__email")
    list_select_related = ("user",)
    fields = readonly_fields = ("user", "provider", "provider_customer_id", "created_at")


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    """Saved cards as the provider describes them (brand, last four digits); the card itself never reaches us."""

    list_display = ("customer", "brand", "last4", "exp_month", "exp_year", "created_at")
    list_filter = ("brand", "exp_year")
    search_fields = ("=provider_method_id", "customer__user__email")
    list_select_related = ("customer__user",)
    fields = readonly_fields = (
        "id",
        "customer",
        "provider_method_id",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "created_at",
    )


@admin.register(SimulatedObject)
class SimulatedObjectAdmin(ReadOnlyAdmin):
    """The simulated provider's own records (the embedded default's stand-in for Stripe): read-only."""

    list_display = ("id", "kind", "idempotency_key", "created_at")
    list_filter = ("kind",)
    search_fields = ("=id", "=idempotency_key")
    ordering = ("-created_at",)
    fields = readonly_fields = ("id", "kind", "idempotency_key", "data", "created_at")
