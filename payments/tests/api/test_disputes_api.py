"""Chargebacks through POST payments/webhooks/stripe: a case for staff, the ledger's hold and outcome, once each.

Stripe is localstripe behind our dispute desk (payments/tests/stripe_disputes.py): the handler re-reads each
dispute there, so a test sets what Stripe holds (``desk.put``) before the event that announces it.
"""

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
from payments.tests.stripe_disputes import DisputeDesk

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


def _announce(desk: DisputeDesk, event_type: str, dispute: dict[str, Any], event_id: str | None = None) -> Any:
    """Stripe now holds ``dispute`` and sends ``event_type`` about it (only the id matters to us)."""
    desk.put(dispute)
    return _send(*signed_event(event_type, {"id": dispute["id"], "object": "dispute"}, event_id=event_id))


def _kinds(payment: Payment) -> list[str]:
    return sorted(set(LedgerEntry.objects.filter(payment=payment).values_list("kind", flat=True)))


def _metric(result: str) -> float:
    return REGISTRY.get_sample_value("guardiannest_payment_disputes_total", {"result": result}) or 0.0


def test_a_dispute_opens_a_case_holds_the_money_and_tells_the_referenced_object(
    localstripe: LocalStripe,
    stripe_disputes: DisputeDesk,
    parent: User,
    sitter: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    payment = _captured(localstripe, parent, sitter)
    clearing = ledger_balances(payment=payment)["provider_clearing"]
    opened = _metric("opened")
    dispute = _dispute(payment, "needs_response")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = _announce(stripe_disputes, "charge.dispute.created", dispute, event_id="evt_d1")
    again = _announce(stripe_disputes, "charge.dispute.created", dispute, event_id="evt_d1")
    other_event = _announce(stripe_disputes, "charge.dispute.updated", dispute)  # nothing new at Stripe

    assert answer.json() == {"received": True, "duplicate": False}
    assert again.json() == {"received": True, "duplicate": True}
    assert other_event.json() == {"received": True, "duplicate": False}
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
    stripe_disputes: DisputeDesk,
    parent: User,
    sitter: User,
    django_capture_on_commit_callbacks: Any,
    outcome: str,
    account: str,
) -> None:
    payment = _captured(localstripe, parent, sitter)
    before = ledger_balances(payment=payment)
    _announce(stripe_disputes, "charge.dispute.created", _dispute(payment, "needs_response"))
    _announce(stripe_disputes, "charge.dispute.updated", _dispute(payment, "under_review"))

    with django_capture_on_commit_callbacks() as callbacks:
        _announce(stripe_disputes, "charge.dispute.closed", _dispute(payment, outcome))
    late = signed_event("charge.dispute.updated", {"id": "dp_1", "object": "dispute"})
    assert _send(*late).status_code == 200  # a late event: Stripe says closed, nothing changes

    case = DisputeCase.objects.get()
    assert (case.status, case.outcome) == (outcome, outcome) and case.closed_at is not None
    after = ledger_balances(payment=payment)
    assert after["disputed"] == 0
    assert after[account] - before[account] == 5000 if outcome == "lost" else after[account] == before[account]
    assert notices_sent(callbacks) == [(str(payment.pk), "dispute_closed")]
    assert _kinds(payment) == sorted(["authorisation", "capture", "dispute", f"dispute_{outcome}"])


def test_an_inquiry_opens_a_case_but_moves_no_money(
    localstripe: LocalStripe, stripe_disputes: DisputeDesk, parent: User, sitter: User
) -> None:
    payment = _captured(localstripe, parent, sitter)

    _announce(stripe_disputes, "charge.dispute.created", _dispute(payment, "warning_needs_response"))
    _announce(stripe_disputes, "charge.dispute.closed", _dispute(payment, "warning_closed"))

    case = DisputeCase.objects.get()
    assert (case.status, case.funds_withdrawn, case.outcome) == ("warning_closed", False, "warning_closed")
    assert _kinds(payment) == ["authorisation", "capture"]


def test_a_dispute_for_no_payment_of_ours_is_answered_and_opens_nothing(stripe_disputes: DisputeDesk) -> None:
    obj = {"id": "dp_x", "payment_intent": "pi_unknown", "amount": 100, "currency": "eur", "status": "needs_response"}

    assert _announce(stripe_disputes, "charge.dispute.created", obj).status_code == 200

    assert not DisputeCase.objects.exists()


def test_the_event_is_not_trusted_stripes_dispute_is(
    localstripe: LocalStripe, stripe_disputes: DisputeDesk, parent: User, sitter: User
) -> None:
    payment = _captured(localstripe, parent, sitter)
    stripe_disputes.put(_dispute(payment, "warning_needs_response"))
    # The event's body claims a lost dispute; Stripe holds an inquiry.
    forged_body = {**_dispute(payment, "lost"), "amount": 999_999}

    assert _send(*signed_event("charge.dispute.closed", forged_body)).status_code == 200

    case = DisputeCase.objects.get()
    assert (case.status, case.amount, case.funds_withdrawn) == ("warning_needs_response", 5000, False)


# --- property: dispute events shuffled and repeated end in Stripe's state, with one hold and one outcome -------

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
    closed_at_stripe=st.booleans(),
    outcome=st.sampled_from(["won", "lost"]),
)
def test_dispute_events_out_of_order_or_repeated_end_in_stripes_state(
    localstripe: LocalStripe,
    stripe_disputes: DisputeDesk,
    parent: User,
    sitter: User,
    deliveries: list[int],
    closed_at_stripe: bool,
    outcome: str,
) -> None:
    payment = _captured(localstripe, parent, sitter, reference=f"b-{time.monotonic_ns()}")
    dispute_id = f"dp_{payment.pk.hex}"
    # Every event has happened at Stripe before any arrives here: Stripe holds the last state.
    if not closed_at_stripe:
        deliveries = [index for index in deliveries if index != 2] or [0]
    stripe_disputes.put(_dispute(payment, outcome if closed_at_stripe else "under_review", dispute_id))
    events = [
        signed_event(kind, {"id": dispute_id, "object": "dispute"}, event_id=f"evt_{dispute_id}_{index}")
        for index, (kind, _status) in enumerate(DISPUTE_EVENTS)
    ]

    answers = [_send(*events[index]).json()["duplicate"] for index in deliveries]

    assert answers.count(False) == len(set(deliveries))
    case = DisputeCase.objects.get(provider_dispute_id=dispute_id)
    assert case.status == (outcome if closed_at_stripe else "under_review")
    kinds = list(LedgerEntry.objects.filter(payment=payment, kind__startswith="dispute").values_list("kind", flat=True))
    assert sorted(set(kinds)) == (["dispute", f"dispute_{outcome}"] if closed_at_stripe else ["dispute"])
    assert len(kinds) == (4 if closed_at_stripe else 2)  # two lines for the hold, two for the outcome: each once
    assert ledger_balances(payment=payment)["disputed"] == (0 if closed_at_stripe else 5000)
    assert sum(ledger_balances(payment=payment).values()) == 0
