"""Reconciliation: our payment rows and ledger against what the provider holds, payment by payment.

:func:`payments_reconcile` reads every payment changed since a moment and
compares three views of it:

- the row (status, captured and refunded amounts);
- the ledger (what the capture and refund transactions moved through the
  provider's clearing account, and what the authorisation hold still holds);
- the provider's intent, re-read now (status, amount captured or received,
  amount refunded).

Each disagreement is a problem of that payment; a payment with any is
*drift*. The money part of the drift (the absolute differences, in minor
units) adds up to the run's ``drift_amount``. Nothing is changed: drift is
for people to look at (a refund made in Stripe's dashboard, a webhook that
never came, a bug). The run sets the reconciliation gauges, counts the run,
and writes one structured log line per drifting payment and one for the run.

localstripe (the tests' Stripe) reports a partial capture's released
remainder as a refund of its charge; real Stripe does not. Reconciliation
reads the provider's figures as Stripe defines them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import structlog
from django.db.models import Sum

from payments.metrics import reconciliation_reported
from payments.models import LedgerAccount, LedgerEntry, LedgerKind, LedgerSide, Payment, PaymentStatus
from payments.models.payments import SETTLED
from payments.providers import payment_provider
from payments.providers.base import Intent, ProviderRefused, ProviderUnavailable
from payments.services.state import status_for

logger = structlog.get_logger("payments.reconciliation")


@dataclass(frozen=True)
class Figures:
    status: str
    captured: int | None
    refunded: int | None


@dataclass
class PaymentDrift:
    payment_id: str
    reference: str
    intent_id: str
    problems: list[str]
    amount: int  # minor units of money the views disagree on
    ours: Figures
    ledger: dict[str, int]
    provider: Figures | None


@dataclass
class ReconciliationReport:
    since: datetime
    provider: str
    checked: int = 0
    drift_amount: int = 0
    drifted: list[PaymentDrift] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # payment id -> why the provider could not be asked

    @property
    def clean(self) -> bool:
        return not self.drifted and not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "provider": self.provider,
            "checked": self.checked,
            "drifted": len(self.drifted),
            "drift_amount": self.drift_amount,
            "errors": self.errors,
            "payments": [asdict(drift) for drift in self.drifted],
        }


def _ledger_figures(payment_ids: list[Any]) -> dict[Any, dict[str, int]]:
    """Per payment: captured and refunded through the clearing account, and the hold still held."""
    figures: dict[Any, dict[str, int]] = defaultdict(lambda: {"captured": 0, "refunded": 0, "held": 0})
    rows = (
        LedgerEntry.objects.filter(payment_id__in=payment_ids)
        .values("payment_id", "kind", "account", "side")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        total, mine = int(row["total"]), figures[row["payment_id"]]
        debit = row["side"] == LedgerSide.DEBIT
        if row["account"] == LedgerAccount.PARENT_CARD_HOLD:
            mine["held"] += total if debit else -total
        elif row["account"] == LedgerAccount.PROVIDER_CLEARING:
            if row["kind"] == LedgerKind.CAPTURE and debit:
                mine["captured"] += total
            elif row["kind"] == LedgerKind.REFUND and not debit:
                mine["refunded"] += total
    return figures


def _status_family(status: str) -> str:
    return PaymentStatus.CAPTURED if status in SETTLED else status


def _compare(payment: Payment, ledger: dict[str, int], intent: Intent | None) -> tuple[list[str], int]:
    problems: list[str] = []
    amount = 0

    def differ(what: str, left_name: str, left: int, right_name: str, right: int) -> None:
        nonlocal amount
        if left != right:
            problems.append(f"{what}: {left_name} {left}, {right_name} {right}")
            amount += abs(left - right)

    differ("captured", "row", payment.captured_amount, "ledger", ledger["captured"])
    differ("refunded", "row", payment.refunded_amount, "ledger", ledger["refunded"])
    differ(
        "held",
        "expected",
        payment.amount if payment.status == PaymentStatus.AUTHORISED else 0,
        "ledger",
        ledger["held"],
    )
    if intent is None:
        return problems, amount
    theirs = status_for(intent)
    if (
        payment.status != PaymentStatus.FAILED
        and theirs is not None
        and _status_family(payment.status) != _status_family(theirs)
    ):
        problems.append(f"status: row {payment.status}, provider {intent.status}")
    if intent.captured is not None:
        differ("captured", "row", payment.captured_amount, "provider", intent.captured)
    if intent.amount_refunded is not None:
        differ("refunded", "row", payment.refunded_amount, "provider", intent.amount_refunded)
    return problems, amount


def payments_reconcile(*, since: datetime) -> ReconciliationReport:
    """Compare every payment of the configured provider changed since ``since``; change nothing.

    A payment the provider cannot be asked about now (an outage) is listed in
    ``errors`` and not counted as checked; one the provider does not know is drift.
    """
    provider = payment_provider()
    report = ReconciliationReport(since=since, provider=provider.name)
    payments = list(Payment.objects.filter(provider=provider.name, updated_at__gte=since).order_by("created_at"))
    ledger = _ledger_figures([payment.pk for payment in payments])
    for payment in payments:
        intent: Intent | None = None
        problems: list[str] = []
        if payment.provider_intent_id:
            try:
                intent = provider.intent_retrieve(intent_id=payment.provider_intent_id)
            except ProviderUnavailable as exc:
                report.errors[str(payment.pk)] = exc.code or str(exc)
                continue
            except ProviderRefused as exc:
                problems.append(f"intent: unknown to the provider ({exc.code or exc})")
        report.checked += 1
        mine = ledger[payment.pk]
        found, amount = _compare(payment, mine, intent)
        problems += found
        if not problems:
            continue
        drift = PaymentDrift(
            payment_id=str(payment.pk),
            reference=payment.reference,
            intent_id=payment.provider_intent_id or "",
            problems=problems,
            amount=amount,
            ours=Figures(payment.status, payment.captured_amount, payment.refunded_amount),
            ledger=dict(mine),
            provider=Figures(str(intent.status), intent.captured, intent.amount_refunded) if intent else None,
        )
        report.drifted.append(drift)
        report.drift_amount += amount
        logger.warning(
            "payment_drift",
            payment_id=drift.payment_id,
            reference=drift.reference,
            intent=drift.intent_id,
            problems=problems,
            drift_minor_units=amount,
        )
    reconciliation_reported(
        checked=report.checked, drifted=len(report.drifted), drift_amount=report.drift_amount, errors=len(report.errors)
    )
    log = logger.info if report.clean else logger.warning
    log(
        "payments_reconciled",
        provider=provider.name,
        since=since.isoformat(),
        checked=report.checked,
        drifted=len(report.drifted),
        drift_minor_units=report.drift_amount,
        errors=len(report.errors),
    )
    return report
