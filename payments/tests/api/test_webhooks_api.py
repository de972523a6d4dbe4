"""POST payments/webhooks/stripe: Stripe-signed events, each applied once, in whatever order they come."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from payments.models import LedgerEntry, LedgerKind, Payment, PaymentMethod, PaymentStatus, ProviderEvent
from payments.services import customer_for, payment_authorise
from payments.tests.helpers import notices_sent
from payments.tests.stripe_app import CARD_AUTHENTICATE, LocalStripe, signed_event

pytestmark = pytest.mark.django_db
URL = "/api/v1/payments/webhooks/stripe"


def _send(payload: bytes, signature: str) -> Any:
    return APIClient().post(URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


def _waiting_for_the_parent(localstripe: LocalStripe, parent: User, sitter: User, reference: str = "b-1") -> Payment:
    localstripe.card_save(customer_for(parent=parent).provider_customer_id, CARD_AUTHENTICATE)
    payment = payment_authorise(payer=parent, payee=sitter, amount=5000, reference=reference, actor=sitter)
    assert payment.status == PaymentStatus.REQUIRES_ACTION
    return payment


def _intent_event(payment: Payment, event_type: str, event_id: str | None = None) -> tuple[bytes, str]:
    return signed_event(event_type, {"id": payment.provider_intent_id, "object": "payment_intent"}, event_id=event_id)


def test_an_event_moves_the_payment_to_what_stripe_says_now_once(
    localstripe: LocalStripe, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    payment = _waiting_for_the_parent(localstripe, parent, sitter)
    localstripe.authenticate(str(payment.provider_intent_id), payment.client_secret)
    payload, signature = _intent_event(payment, "payment_intent.amount_capturable_updated", "evt_1")

    with django_capture_on_commit_callbacks() as callbacks:
        first = _send(payload, signature)
    again = _send(payload, signature)

    assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
    assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})
    payment.refresh_from_db()
    assert (payment.status, payment.client_secret) == ("authorised", "")
    assert LedgerEntry.objects.filter(payment=payment, kind=LedgerKind.AUTHORISATION).count() == 2
    assert ProviderEvent.objects.get(event_id="evt_1").payment == payment
    assert notices_sent(callbacks) == [(str(payment.pk), "authorised")]


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "t=1,v1=00",
        "nonsense",
    ],
)
def test_a_bad_signature_is_400_and_nothing_is_done(
    localstripe: LocalStripe, parent: User, sitter: User, signature: str
) -> None:
    payment = _waiting_for_the_parent(localstripe, parent, sitter)
    payload, _ = _intent_event(payment, "payment_intent.amount_capturable_updated")

    assert_problem(_send(payload, signature), 400, "webhook_signature_invalid")

    assert not ProviderEvent.objects.exists()


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "stale", "altered body"],
)
def test_a_signature_that_does_not_verify_is_400(
    localstripe: LocalStripe, parent: User, sitter: User, how: str
) -> None:
    payment = _waiting_for_the_parent(localstripe, parent, sitter)
    localstripe.authenticate(str(payment.provider_intent_id), payment.client_secret)
    obj = {"id": payment.provider_intent_id, "object": "payment_intent"}
    if how == "wrong secret":
        payload, signature = signed_event("payment_intent.amount_capturable_updated", obj, secret="whsec_other")
    elif how == "stale":  # beyond Stripe's 300 s tolerance
        stale = int(time.time()) - 301
        payload, signature = signed_event("payment_intent.amount_capturable_updated", obj, timestamp=stale)
    else:
        payload, signature = signed_event("payment_intent.amount_capturable_updated", obj)
        payload = payload.replace(b"amount_capturable_updated", b"canceled")

    assert_problem(_send(payload, signature), 400, "webhook_signature_invalid")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUIRES_ACTION
    assert not ProviderEvent.objects.exists()


def test_an_unknown_type_is_answered_and_stored_not_acted_on(localstripe: LocalStripe) -> None:
    payload, signature = signed_event("customer.created", {"id": "cus_1", "object": "customer"}, event_id="evt_2")

    assert _send(payload, signature).json() == {"received": True, "duplicate": False}

    event = ProviderEvent.objects.get(event_id="evt_2")
    assert (event.type, event.handled, event.payment) == ("customer.created", False, None)


def test_a_provider_outage_leaves_the_event_unstored_so_the_retry_applies_it(
    localstripe: LocalStripe, parent: User, sitter: User, settings: Any
) -> None:
    payment = _waiting_for_the_parent(localstripe, parent, sitter)
    localstripe.authenticate(str(payment.provider_intent_id), payment.client_secret)
    payload, signature = _intent_event(payment, "payment_intent.amount_capturable_updated", "evt_3")
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    assert_problem(_send(payload, signature), 503, "payment_provider_unavailable")
    assert not ProviderEvent.objects.exists()

    settings.STRIPE_API_BASE = localstripe.base
    assert _send(payload, signature).json()["duplicate"] is False
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED


def test_a_saved_card_event_mirrors_the_parents_cards(localstripe: LocalStripe, parent: User) -> None:
    customer = customer_for(parent=parent)
    card_id = localstripe.card_save(customer.provider_customer_id)
    obj = {"id": "seti_1", "object": "setup_intent", "customer": customer.provider_customer_id}

    assert _send(*signed_event("setup_intent.succeeded", obj)).status_code == 200

    assert list(PaymentMethod.objects.filter(customer=customer).values_list("provider_method_id", "last4")) == [
        (card_id, "4242")
    ]


def test_with_the_simulated_provider_no_webhook_verifies() -> None:
    """No Stripe key: the simulated provider sends no webhooks, so none is taken, however it is signed."""
    assert_problem(_send(*signed_event("customer.created", {"id": "cus_1"})), 400, "webhook_signature_invalid")

    assert not ProviderEvent.objects.exists()


# --- property: shuffled and repeated real events end in the state Stripe has ---------------------------

EVENTS = ["payment_intent.requires_action", "payment_intent.amount_capturable_updated", "payment_intent.succeeded"]


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    deliveries=st.lists(st.sampled_from(range(len(EVENTS))), min_size=1, max_size=9).flatmap(st.permutations),
    captured_at_stripe=st.booleans(),
)
def test_events_out_of_order_or_repeated_end_in_stripes_state(
    localstripe: LocalStripe, parent: User, sitter: User, deliveries: list[int], captured_at_stripe: bool
) -> None:
    payment = _waiting_for_the_parent(localstripe, parent, sitter, reference=f"b-{time.monotonic_ns()}")
    intent_id = str(payment.provider_intent_id)
    localstripe.authenticate(intent_id, payment.client_secret)
    if captured_at_stripe:
        localstripe.post(f"/v1/payment_intents/{intent_id}/capture", {})
    events = [_intent_event(payment, EVENTS[index], f"evt_{intent_id}_{index}") for index in range(len(EVENTS))]

    answers = [_send(*events[index]).json()["duplicate"] for index in deliveries]

    assert answers.count(False) == len(set(deliveries))  # each event id acted on once
    payment.refresh_from_db()
    assert payment.status == (PaymentStatus.CAPTURED if captured_at_stripe else PaymentStatus.AUTHORISED)
    kinds = list(LedgerEntry.objects.filter(payment=payment).values_list("kind", flat=True).distinct())
    assert sorted(kinds) == (["authorisation", "capture"] if captured_at_stripe else ["authorisation"])
    assert LedgerEntry.objects.filter(payment=payment, kind=LedgerKind.AUTHORISATION).count() == 2
