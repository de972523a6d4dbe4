"""Payments in Prometheus: state changes and money after commit, webhook events with their lag."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from accounts.models import User
from payments.services import payment_authorise, payment_capture, payment_refund
from payments.tests.stripe_app import LocalStripe, signed_event

pytestmark = pytest.mark.django_db


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_changes_and_money_are_counted_once_committed(
    parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    before = (
        _value("guardiannest_payment_transitions_total", status="captured"),
        _value("guardiannest_payment_money_minor_units_total", movement="captured", currency="eur"),
        _value("guardiannest_payment_money_minor_units_total", movement="refunded", currency="eur"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_authorise(payer=parent, payee=sitter, amount=5000, reference="b-1", actor=sitter)
        payment_capture(payment=payment, amount=4000, actor=parent)
        payment_refund(payment=payment, amount=1500, actor=parent)

    after = (
        _value("guardiannest_payment_transitions_total", status="captured"),
        _value("guardiannest_payment_money_minor_units_total", movement="captured", currency="eur"),
        _value("guardiannest_payment_money_minor_units_total", movement="refunded", currency="eur"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 4000, 1500]


def test_webhook_events_are_counted_by_result_with_their_lag(localstripe: LocalStripe) -> None:
    applied = _value("guardiannest_payment_webhook_events_total", provider="stripe", result="ignored")
    repeated = _value("guardiannest_payment_webhook_events_total", provider="stripe", result="repeated")
    lags = _value("guardiannest_payment_webhook_lag_seconds_count", provider="stripe")
    payload, signature = signed_event("customer.created", {"id": "cus_1", "object": "customer"})

    for _ in range(2):
        APIClient().post(
            "/api/v1/payments/webhooks/stripe",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )

    assert _value("guardiannest_payment_webhook_events_total", provider="stripe", result="ignored") == applied + 1
    assert _value("guardiannest_payment_webhook_events_total", provider="stripe", result="repeated") == repeated + 1
    assert _value("guardiannest_payment_webhook_lag_seconds_count", provider="stripe") == lags + 2


def test_transfers_and_reversals_are_counted_once_committed(
    parent: User, sitter: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from payments.services import transfer_settle
    from payments.tests.payout_helpers import captured, onboarded

    settings.PLATFORM_FEE_PERCENT = 10
    labels = {"movement": "transferred", "currency": "eur"}
    before = (
        _value("guardiannest_payout_transfers_total", result="paid"),
        _value("guardiannest_payout_transfer_money_minor_units_total", **labels),
        _value("guardiannest_payout_transfer_money_minor_units_total", movement="reversed", currency="eur"),
    )
    onboarded(sitter)
    payment = captured(parent, sitter)
    with django_capture_on_commit_callbacks(execute=True):
        transfer_settle(payment=payment)  # 3600
        payment_refund(payment=payment, amount=1000, actor=parent)
        transfer_settle(payment=payment)  # 900 back

    after = (
        _value("guardiannest_payout_transfers_total", result="paid"),
        _value("guardiannest_payout_transfer_money_minor_units_total", **labels),
        _value("guardiannest_payout_transfer_money_minor_units_total", movement="reversed", currency="eur"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 3600, 900]


def test_payments_by_status_are_read_from_the_database_at_scrape_time(parent: User, sitter: User) -> None:
    from guardiannest.observability import SCRAPE_REGISTRY

    def by_status(status: str) -> float:
        return SCRAPE_REGISTRY.get_sample_value("guardiannest_payments", {"status": status}) or 0.0

    assert (by_status("authorised"), by_status("captured")) == (0, 0)
    first = payment_authorise(payer=parent, payee=sitter, amount=5000, reference="b-1", actor=sitter)
    payment_authorise(payer=parent, payee=sitter, amount=3000, reference="b-2", actor=sitter)
    assert (by_status("authorised"), by_status("captured")) == (2, 0)
    payment_capture(payment=first, amount=5000, actor=parent)
    assert (by_status("authorised"), by_status("captured")) == (1, 1)
