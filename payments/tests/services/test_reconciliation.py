"""Reconciliation: our rows and ledger against the provider; drift made at the provider itself is reported."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from accounts.models import User
from guardiannest.observability import SCRAPE_REGISTRY
from payments.models import Payment
from payments.providers.simulated import SimulatedProvider
from payments.services import customer_for, payment_authorise, payment_capture, payment_refund, payment_release
from payments.services.reconciliation import payments_reconcile
from payments.stripe_client import client as stripe_sdk
from payments.tests.sides import Side
from payments.tests.stripe_app import LocalStripe

pytestmark = pytest.mark.django_db


def _gauge(name: str) -> float | None:
    """As Prometheus reads it from any process's /metrics (the run itself happens in a worker)."""
    return SCRAPE_REGISTRY.get_sample_value(name)


def _runs(result: str) -> float:
    return REGISTRY.get_sample_value("guardiannest_payment_reconciliation_runs_total", {"result": result}) or 0.0


def _logged(caplog: Any, event: str) -> list[dict[str, Any]]:
    return [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == event]


def _flows(side: Side, parent: User, sitter: User) -> dict[str, Payment]:
    """One payment in each state money can be in: authorised, captured and part refunded, released."""
    customer = customer_for(parent=parent)
    if side.localstripe is not None:
        side.card_save(customer.provider_customer_id)

    def authorised(reference: str) -> Payment:
        return payment_authorise(payer=parent, payee=sitter, amount=5000, reference=reference, actor=sitter)

    held = authorised("b-held")
    refunded = payment_capture(payment=authorised("b-refunded"), amount=5000, actor=None)
    payment_refund(payment=refunded, amount=1000, actor=None)
    released = payment_release(payment=authorised("b-released"), actor=None)
    return {"held": held, "refunded": refunded, "released": released}


def _since() -> Any:
    return timezone.now() - timedelta(days=1)


def test_no_drift_when_everything_went_through_our_code(side: Side, parent: User, sitter: User, caplog: Any) -> None:
    _flows(side, parent, sitter)
    caplog.set_level(logging.INFO, logger="payments.reconciliation")
    clean = _runs("clean")

    report = payments_reconcile(since=_since())

    assert (report.checked, report.drifted, report.drift_amount, report.errors) == (3, [], 0, {})
    assert report.clean
    assert _gauge("guardiannest_payment_reconciliation_drift_payments") == 0
    assert _gauge("guardiannest_payment_reconciliation_drift_minor_units") == 0
    assert _gauge("guardiannest_payment_reconciliation_checked_payments") == 3
    assert _runs("clean") == clean + 1
    [line] = _logged(caplog, "payments_reconciled")
    assert (line["checked"], line["drifted"], line["drift_minor_units"], line["provider"]) == (3, 0, 0, side.name)


def test_a_refund_made_at_the_provider_itself_is_drift(side: Side, parent: User, sitter: User, caplog: Any) -> None:
    flows = _flows(side, parent, sitter)
    intent_id = str(flows["refunded"].provider_intent_id)
    # given: a refund made at the provider directly (its dashboard, a script), not through our services
    if side.localstripe is not None:
        # Stripe's SDK itself (the client stripe_client builds, pointed at localstripe), not our services.
        stripe_sdk().v1.refunds.create(params={"payment_intent": intent_id, "amount": 700})
    else:
        SimulatedProvider().refund_create(intent_id=intent_id, amount=700, idempotency_key="dashboard-refund")
    caplog.set_level(logging.INFO, logger="payments.reconciliation")
    drifts = _runs("drift")

    report = payments_reconcile(since=_since())

    assert report.checked == 3 and not report.clean
    [drift] = report.drifted
    assert drift.payment_id == str(flows["refunded"].pk)
    assert drift.problems == ["refunded: row 1000, provider 1700"]
    assert (drift.amount, report.drift_amount) == (700, 700)
    assert drift.provider is not None and drift.provider.refunded == 1700
    assert _gauge("guardiannest_payment_reconciliation_drift_payments") == 1
    assert _gauge("guardiannest_payment_reconciliation_drift_minor_units") == 700
    assert _runs("drift") == drifts + 1
    [line] = _logged(caplog, "payment_drift")
    assert (line["payment_id"], line["drift_minor_units"]) == (drift.payment_id, 700)


def test_a_capture_made_at_stripe_itself_is_drift_in_status_and_money(
    localstripe: LocalStripe, parent: User, sitter: User
) -> None:
    flows = _flows(Side("stripe", localstripe), parent, sitter)
    localstripe.post(f"/v1/payment_intents/{flows['held'].provider_intent_id}/capture", {})

    [drift] = payments_reconcile(since=_since()).drifted

    assert drift.payment_id == str(flows["held"].pk)
    assert drift.problems == ["status: row authorised, provider succeeded", "captured: row 0, provider 5000"]


def test_a_ledger_that_disagrees_with_its_payment_is_drift(parent: User, sitter: User) -> None:
    payment = payment_capture(
        payment=payment_authorise(payer=parent, payee=sitter, amount=5000, reference="b-1", actor=sitter),
        amount=5000,
        actor=None,
    )
    Payment.objects.filter(pk=payment.pk).update(captured_amount=4000)  # a row changed behind the ledger's back

    [drift] = payments_reconcile(since=_since()).drifted

    assert "captured: row 4000, ledger 5000" in drift.problems
    assert "captured: row 4000, provider 5000" in drift.problems


def test_only_payments_changed_in_the_window_are_checked(parent: User, sitter: User) -> None:
    payment = payment_authorise(payer=parent, payee=sitter, amount=5000, reference="b-1", actor=sitter)
    Payment.objects.filter(pk=payment.pk).update(updated_at=timezone.now() - timedelta(days=10))

    assert payments_reconcile(since=timezone.now() - timedelta(days=3)).checked == 0
    assert payments_reconcile(since=timezone.now() - timedelta(days=11)).checked == 1


def test_a_provider_outage_is_reported_not_taken_for_agreement(
    localstripe: LocalStripe, parent: User, sitter: User, settings: Any
) -> None:
    _flows(Side("stripe", localstripe), parent, sitter)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    errors = _runs("error")

    report = payments_reconcile(since=_since())

    assert (report.checked, len(report.errors), report.clean) == (0, 3, False)
    assert _runs("error") == errors + 1
