"""Chargebacks through POST payments/webhooks/stripe: a case for staff, the ledger's hold and outcome, once each."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from accounts.models import User
from guardiannest.audit.models import AuditEvent
from payments.models import DisputeCase, LedgerEntry, Payment, PaymentStatus
from payments.selectors import ledger_balances
from payments.services import customer_for, payment_authorise, payment_capture
from payments.tests.helpers import notices_sent
from payments.tests.stripe_app import LocalStripe, signed_event

pytestmark = pytest.mark.django_db
URL = "/api/v1/payments/webhooks/stripe"
DUE_BY = 1_900_000_000


def _send(payload: bytes, signature: str) -> Any:
    return APIClient().post(URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


def _captured(localstripe: LocalStripe, parent: User, sitter: User, reference: str = "b-1") -> Payment:
    customer = customer_for(parent=parent)
    if not customer.methods.exists():
        localstripe.card_save(customer.provider_customer_id)
    payment = payment_authorise(payer=parent, payee=sitter, amount=5000, reference=reference, actor=sitter)
    payment = payment_capture(payment=payment, amount=5000, actor=None)
    assert payment.status == PaymentStatus.CAPTURED
    return payment


def _dispute(payment: Payment, status: str, dispute_id: str = "dp_1", amount: int = 5000) -> dict[str, Any]:
    return {
        "id": dispute_id,
        "object": "dispute",
        "payment_intent": payment.provider_intent_id,
        "amount": amount,
        "currency": "eur",
        "reason": "fraudulent",
        "status": status,
        "evidence_details": {"due_by": DUE_BY},
    }


def _kinds(payment: Payment) -> list[str]:
    return sorted(set(LedgerEntry.objects.filter(payment=payment).values_list("kind", flat=True)))


def _metric(result: str) -> float:
    return REGISTRY.get_sample_value("guardiannest_payment_disputes_total", {"result": result}) or 0.0


def test_a_dispute_opens_a_case_holds_the_money_and_tells_the_referenced_object(
    localstripe: LocalStripe, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    payment = _captured(localstripe, parent, sitter)
    clearing = ledger_balances(payment=payment)["provider_clearing"]
    opened = _metric("opened")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = _send(*signed_event("charge.dispute.created", _dispute(payment, "needs_response"), event_id="evt_d1"))
    again = _send(*signed_event("charge.dispute.created", _dispute(payment, "needs_response"), event_id="evt_d1"))

    assert answer.json() == {"received": True, "duplicate": False}
    assert again.json() == {"received": True, "duplicate": True}
    case = DisputeCase.objects.get()
    assert (case.payment, case.status, case.amount, case.reason, case.funds_withdrawn, case.outcome) == (
        payment,
        "needs_response",
        5000,
        "fraudulent",
        True,
        "",
    )
    assert case.evidence_due_by is not None and int(case.evidence_due_by.timestamp()) == DUE_BY
    balances = ledger_balances(payment=payment)
    assert (balances["disputed"], balances["provider_clearing"]) == (5000, clearing - 5000)
    assert sum(ledger_balances().values()) == 0
    assert notices_sent(callbacks) == [(str(payment.pk), "disputed")]
    assert _metric("opened") == opened + 1
    assert AuditEvent.objects.filter(action="payment.dispute_needs_response", target_id=str(payment.pk)).count() == 1


@pytest.mark.parametrize(("outcome", "account"), [("lost", "dispute_losses"), ("won", "provider_clearing")])
def test_the_outcome_moves_the_held_money_once(
    localstripe: LocalStripe,
    parent: User,
    sitter: User,
    django_capture_on_commit_callbacks: Any,
    outcome: str,
    account: str,
) -> None:
    payment = _captured(localstripe, parent, sitter)
    before = ledger_balances(payment=payment)
    _send(*signed_event("charge.dispute.created", _dispute(payment, "needs_response")))
    _send(*signed_event("charge.dispute.updated", _dispute(payment, "under_review")))

    with django_capture_on_commit_callbacks() as callbacks:
        closed = signed_event("charge.dispute.closed", _dispute(payment, outcome), event_id="evt_close")
        _send(*closed)
    _send(*signed_event("charge.dispute.updated", _dispute(payment, "under_review")))  # late: changes nothing

    case = DisputeCase.objects.get()
    assert (case.status, case.outcome) == (outcome, outcome) and case.closed_at is not None
    after = ledger_balances(payment=payment)
    assert after["disputed"] == 0
    assert after[account] - before[account] == 5000 if outcome == "lost" else after[account] == before[account]
    assert notices_sent(callbacks) == [(str(payment.pk), "dispute_closed")]
    assert _kinds(payment) == sorted(["authorisation", "capture", "dispute", f"dispute_{outcome}"])


def test_an_inquiry_opens_a_case_but_moves_no_money(localstripe: LocalStripe, parent: User, sitter: User) -> None:
    payment = _captured(localstripe, parent, sitter)

    _send(*signed_event("charge.dispute.created", _dispute(payment, "warning_needs_response")))
    _send(*signed_event("charge.dispute.closed", _dispute(payment, "warning_closed")))

    case = DisputeCase.objects.get()
    assert (case.status, case.funds_withdrawn, case.outcome) == ("warning_closed", False, "warning_closed")
    assert _kinds(payment) == ["authorisation", "capture"]


def test_a_dispute_for_no_payment_of_ours_is_answered_and_opens_nothing(localstripe: LocalStripe) -> None:
    obj = {"id": "dp_x", "object": "dispute", "payment_intent": "pi_unknown", "amount": 100, "status": "needs_response"}

    assert _send(*signed_event("charge.dispute.created", obj)).status_code == 200

    assert not DisputeCase.objects.exists()


# --- property: dispute events shuffled and repeated end in the last state, with one hold and one outcome ----------

DISPUTE_EVENTS = [
    ("charge.dispute.created", "needs_response"),
    ("charge.dispute.updated", "under_review"),
    ("charge.dispute.closed", None),  # the outcome drawn for the example
]


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    deliveries=st.lists(st.sampled_from(range(len(DISPUTE_EVENTS))), min_size=1, max_size=8).flatmap(st.permutations),
    outcome=st.sampled_from(["won", "lost"]),
)
def test_dispute_events_out_of_order_or_repeated_end_in_the_same_case_and_ledger(
    localstripe: LocalStripe, parent: User, sitter: User, deliveries: list[int], outcome: str
) -> None:
    payment = _captured(localstripe, parent, sitter, reference=f"b-{time.monotonic_ns()}")
    dispute_id = f"dp_{payment.pk.hex}"
    events = [
        signed_event(kind, _dispute(payment, status or outcome, dispute_id), event_id=f"evt_{dispute_id}_{index}")
        for index, (kind, status) in enumerate(DISPUTE_EVENTS)
    ]

    answers = [_send(*events[index]).json()["duplicate"] for index in deliveries]

    assert answers.count(False) == len(set(deliveries))
    case = DisputeCase.objects.get(provider_dispute_id=dispute_id)
    closed = 2 in deliveries
    stage = "under_review" if 1 in deliveries else "needs_response"
    assert case.status == (outcome if closed else stage)
    kinds = list(LedgerEntry.objects.filter(payment=payment, kind__startswith="dispute").values_list("kind", flat=True))
    assert sorted(set(kinds)) == (["dispute", f"dispute_{outcome}"] if closed else ["dispute"])
    assert len(kinds) == (4 if closed else 2)  # two lines for the hold, two for the outcome: each once
    assert ledger_balances(payment=payment)["disputed"] == (0 if closed else 5000)
    assert sum(ledger_balances(payment=payment).values()) == 0
