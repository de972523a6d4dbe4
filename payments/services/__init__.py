"""Every state change of payments: one function, one transaction, one audit event (a module per subdomain)."""

from payments.services.authorisation import payment_authorise, payment_release
from payments.services.cards import customer_for, payment_method_remove, payment_method_setup, payment_methods_sync
from payments.services.payouts import (
    connected_account_for,
    connected_account_refresh,
    payout_balance_fetch,
    payout_onboarding_link,
    payouts_release,
    transfer_retry,
    transfer_settle,
    transfers_redrive,
)
from payments.services.settlement import payment_capture, payment_refund

__all__ = [
    "connected_account_for",
    "connected_account_refresh",
    "customer_for",
    "payment_authorise",
    "payment_capture",
    "payment_method_remove",
    "payment_method_setup",
    "payment_methods_sync",
    "payment_refund",
    "payment_release",
    "payout_balance_fetch",
    "payout_onboarding_link",
    "payouts_release",
    "transfer_retry",
    "transfer_settle",
    "transfers_redrive",
]
