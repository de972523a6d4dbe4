"""Prometheus figures of payments: state changes, money moved, webhook events and their lag,
reconciliation drift, disputes and re-authorisations.

State changes and money are counted after commit, so a rolled-back change is never counted.
"""

from __future__ import annotations

import time
from functools import partial

from django.core.cache import cache
from django.db import transaction
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

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


# The last run's figures live in the shared cache (Redis in production): the nightly run happens in a
# worker, which Prometheus does not scrape, so the web process that serves /metrics reads them from there.
LAST_RECONCILIATION = "payments:reconciliation:last"


def reconciliation_reported(*, checked: int, drifted: int, drift_amount: int, errors: int) -> None:
    """Keep the figures of the run that just finished for every process's /metrics, and count it."""
    figures = {"checked": checked, "drifted": drifted, "drift_amount": drift_amount, "finished_at": time.time()}
    cache.set(LAST_RECONCILIATION, figures, timeout=None)
    RECONCILE_RUNS.labels(result="error" if errors else "drift" if drifted else "clean").inc()


def reconciliation_metrics() -> list[Metric]:
    """The last reconciliation run's gauges, read at scrape time (nothing before the first run)."""
    figures = cache.get(LAST_RECONCILIATION)
    if not figures:
        return []
    gauges = (
        ("drift_payments", "Payments whose rows, ledger and provider disagreed at the last run.", "drifted"),
        ("drift_minor_units", "Sum of the money differences found at the last run, in minor units.", "drift_amount"),
        ("checked_payments", "Payments compared with the provider at the last run.", "checked"),
        ("last_run_timestamp_seconds", "When the last reconciliation run finished (Unix time).", "finished_at"),
    )
    return [
        GaugeMetricFamily(f"guardiannest_payment_reconciliation_{name}", text, value=float(figures[key]))
        for name, text, key in gauges
    ]


def dispute_on_commit(*, result: str, money: tuple[int, str] | None = None) -> None:
    """Count a dispute opened or closed (and the money withdrawn, as movement ``disputed``) once committed."""

    def count() -> None:
        DISPUTES.labels(result=result).inc()
        if money is not None:
            MONEY.labels(movement="disputed", currency=money[1]).inc(money[0])

    transaction.on_commit(count, robust=True)


def reauthorisation_on_commit(*, result: str) -> None:
    transaction.on_commit(partial(REAUTHORISATIONS.labels(result=result).inc), robust=True)


def payments_by_status_metrics() -> list[Metric]:
    """Payments in each status now, from the database (read at scrape time, whichever process serves /metrics)."""
    from payments.models import PaymentStatus
    from payments.selectors import payment_counts_by_status

    counts = payment_counts_by_status()
    family = GaugeMetricFamily("guardiannest_payments", "Payments in each status now.", labels=["status"])
    for status in PaymentStatus.values:
        family.add_metric([status], float(counts.get(status, 0)))
    return [family]
