"""Prometheus figures of payments: state changes, money moved, webhook events and their lag,
reconciliation drift, disputes and re-authorisations.

State changes and money are counted after commit, so a rolled-back change is never counted.
"""

from __future__ import annotations

import time
from functools import partial

from django.db import transaction
from prometheus_client import Counter, Gauge, Histogram

TRANSITIONS = Counter(
    "guardiannest_payment_transitions",
    "Payments entering a status (authorised, captured, refunded ...).",
    ["status"],
)
MONEY = Counter(
    "guardiannest_payment_money_minor_units",
    "Money captured and refunded, in minor units of the currency.",
    ["movement", "currency"],
)
TRANSFERS = Counter(
    "guardiannest_payout_transfers",
    "Transfers to sitters' connected accounts: paid, failed (refused by the provider) or reversed (a refund after).",
    ["result"],
)
TRANSFER_MONEY = Counter(
    "guardiannest_payout_transfer_money_minor_units",
    "Money sent to sitters' connected accounts, and taken back by reversals, in minor units.",
    ["movement", "currency"],
)
WEBHOOK_EVENTS = Counter(
    "guardiannest_payment_webhook_events",
    "Provider events received with a valid signature: applied, repeated (nothing done) or of a type not acted on.",
    ["provider", "result"],
)
WEBHOOK_LAG = Histogram(
    "guardiannest_payment_webhook_lag_seconds",
    "From the provider creating an event to our receiving it.",
    ["provider"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 3600, 86400),
)


def _count(status: str, money: tuple[str, int, str] | None) -> None:
    TRANSITIONS.labels(status=status).inc()
    if money is not None:
        movement, amount, currency = money
        MONEY.labels(movement=movement, currency=currency).inc(amount)


def transition_on_commit(*, status: str, money: tuple[str, int, str] | None = None) -> None:
    """Count a payment entering ``status`` (and ``money`` = (movement, amount, currency) moved) once committed."""
    transaction.on_commit(partial(_count, status, money), robust=True)


def webhook_received(*, provider: str, result: str, created: int | None) -> None:
    WEBHOOK_EVENTS.labels(provider=provider, result=result).inc()
    if created is not None:
        WEBHOOK_LAG.labels(provider=provider).observe(max(0.0, time.time() - created))


def _count_transfer(result: str, amount: int, currency: str) -> None:
    TRANSFERS.labels(result=result).inc()
    if result in ("paid", "reversed"):
        TRANSFER_MONEY.labels(movement="transferred" if result == "paid" else "reversed", currency=currency).inc(amount)


def transfer_on_commit(*, result: str, amount: int, currency: str) -> None:
    """Count a transfer paid, failed or (partly) reversed, with its money, once committed."""
    transaction.on_commit(partial(_count_transfer, result, amount, currency), robust=True)


RECONCILE_RUNS = Counter(
    "guardiannest_payment_reconciliation_runs",
    "Reconciliation runs against the provider, by result: clean, drift (some payment disagrees) or error.",
    ["result"],
)
RECONCILE_DRIFT_PAYMENTS = Gauge(
    "guardiannest_payment_reconciliation_drift_payments",
    "Payments whose rows, ledger and provider disagreed at the last reconciliation run.",
)
RECONCILE_DRIFT_AMOUNT = Gauge(
    "guardiannest_payment_reconciliation_drift_minor_units",
    "Sum of the money differences found at the last reconciliation run, in minor units.",
)
RECONCILE_CHECKED = Gauge(
    "guardiannest_payment_reconciliation_checked_payments",
    "Payments compared with the provider at the last reconciliation run.",
)
RECONCILE_LAST_RUN = Gauge(
    "guardiannest_payment_reconciliation_last_run_timestamp_seconds",
    "When the last reconciliation run finished (Unix time).",
)
DISPUTES = Counter(
    "guardiannest_payment_disputes",
    "Dispute cases opened and closed, by what happened (opened, won, lost, warning_closed).",
    ["result"],
)
REAUTHORISATIONS = Counter(
    "guardiannest_payment_reauthorisations",
    "Authorisations renewed before the provider's limit, by result (renewed, failed).",
    ["result"],
)


def reconciliation_reported(*, checked: int, drifted: int, drift_amount: int, errors: int) -> None:
    """Set the gauges of the run that just finished and count it."""
    RECONCILE_CHECKED.set(checked)
    RECONCILE_DRIFT_PAYMENTS.set(drifted)
    RECONCILE_DRIFT_AMOUNT.set(drift_amount)
    RECONCILE_LAST_RUN.set(time.time())
    RECONCILE_RUNS.labels(result="error" if errors else "drift" if drifted else "clean").inc()


def dispute_on_commit(*, result: str, money: tuple[int, str] | None = None) -> None:
    """Count a dispute opened or closed (and the money withdrawn, as movement ``disputed``) once committed."""

    def count() -> None:
        DISPUTES.labels(result=result).inc()
        if money is not None:
            MONEY.labels(movement="disputed", currency=money[1]).inc(money[0])

    transaction.on_commit(count, robust=True)


def reauthorisation_on_commit(*, result: str) -> None:
    transaction.on_commit(partial(REAUTHORISATIONS.labels(result=result).inc), robust=True)
