"""The provider contract, run against the simulated provider and against Stripe (localstripe on loopback)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from payments.providers import payment_provider
from payments.providers.base import IntentStatus, ProviderDeclined, ProviderRefused, ProviderUnavailable
from payments.providers.simulated import SimulatedProvider
from payments.tests.sides import Side

pytestmark = pytest.mark.django_db


def _customer(side: Side, kind: str = "ok") -> tuple[str, str]:
    customer_id = side.provider.customer_create(email="p@example.com", user_id="u1", idempotency_key="customer:u1")
    return customer_id, side.card_save(customer_id, kind)


def test_a_customer_key_makes_one_customer_and_a_saved_card_is_listed(side: Side) -> None:
    customer_id, card_id = _customer(side)

    cards = side.provider.cards_list(customer_id=customer_id)

    assert card_id in [card.id for card in cards]
    assert next(card for card in cards if card.id == card_id).last4 == "4242"
    session = side.provider.setup_session_create(customer_id=customer_id, idempotency_key="setup:1")
    assert session.client_secret.startswith(session.id)
    side.provider.card_detach(card_id=card_id, idempotency_key=f"detach:{card_id}")
    assert card_id not in [card.id for card in side.provider.cards_list(customer_id=customer_id)]


def test_authorise_capture_part_and_refund(side: Side) -> None:
    customer_id, card_id = _customer(side)

    intent = side.provider.intent_authorise(
        customer_id=customer_id, card_id=card_id, amount=5000, currency="eur", reference="b1", idempotency_key="a:1"
    )
    assert intent.status == IntentStatus.REQUIRES_CAPTURE
    assert (intent.amount, intent.currency, intent.payment_method_id) == (5000, "eur", card_id)

    captured = side.provider.intent_capture(intent_id=intent.id, amount=3000, idempotency_key="c:1")
    assert captured.status == IntentStatus.SUCCEEDED
    assert captured.amount_received in (3000, None)  # localstripe does not report it; our capture request does

    refund = side.provider.refund_create(intent_id=intent.id, amount=1000, idempotency_key="r:1")
    assert (refund.amount, refund.status) == (1000, "succeeded")
    assert side.provider.intent_retrieve(intent_id=intent.id).status == IntentStatus.SUCCEEDED


def test_a_card_that_needs_authentication_waits_for_the_parent(side: Side) -> None:
    customer_id, card_id = _customer(side, "authenticate")

    intent = side.provider.intent_authorise(
        customer_id=customer_id, card_id=card_id, amount=5000, currency="eur", reference="b1", idempotency_key="a:1"
    )
    assert intent.status == IntentStatus.REQUIRES_ACTION
    assert intent.client_secret

    side.authenticate(intent)
    assert side.provider.intent_retrieve(intent_id=intent.id).status == IntentStatus.REQUIRES_CAPTURE


def test_a_declined_card_leaves_the_intent_waiting_for_another_card(side: Side) -> None:
    customer_id, card_id = _customer(side, "declined")

    with pytest.raises(ProviderDeclined) as declined:
        side.provider.intent_authorise(
            customer_id=customer_id, card_id=card_id, amount=5000, currency="eur", reference="b1", idempotency_key="a:1"
        )

    assert declined.value.code == "card_declined"


def test_an_authorisation_can_be_cancelled(side: Side) -> None:
    customer_id, card_id = _customer(side)
    intent = side.provider.intent_authorise(
        customer_id=customer_id, card_id=card_id, amount=5000, currency="eur", reference="b1", idempotency_key="a:1"
    )

    assert side.provider.intent_cancel(intent_id=intent.id, idempotency_key="x:1").status == IntentStatus.CANCELED
    assert side.provider.intent_retrieve(intent_id=intent.id).status == IntentStatus.CANCELED


# --- the simulated provider refuses what Stripe refuses (localstripe does not check these) -----------------


@pytest.fixture
def simulated() -> tuple[SimulatedProvider, str, str]:
    provider = SimulatedProvider()
    customer_id = provider.customer_create(email="p@example.com", user_id="u1", idempotency_key="customer:u1")
    return provider, customer_id, provider.cards_list(customer_id=customer_id)[0].id


def test_the_simulated_provider_refuses_captures_and_refunds_stripe_refuses(simulated: tuple) -> None:
    provider, customer_id, card_id = simulated
    intent = provider.intent_authorise(
        customer_id=customer_id, card_id=card_id, amount=5000, currency="eur", reference="b1", idempotency_key="a:1"
    )
    with pytest.raises(ProviderRefused):
        provider.intent_capture(intent_id=intent.id, amount=5001, idempotency_key="c:too-much")
    provider.intent_capture(intent_id=intent.id, amount=4000, idempotency_key="c:1")

    with pytest.raises(ProviderRefused):
        provider.intent_capture(intent_id=intent.id, amount=4000, idempotency_key="c:2")
    with pytest.raises(ProviderRefused):
        provider.intent_cancel(intent_id=intent.id, idempotency_key="x:1")
    provider.refund_create(intent_id=intent.id, amount=3000, idempotency_key="r:1")
    with pytest.raises(ProviderRefused):
        provider.refund_create(intent_id=intent.id, amount=1001, idempotency_key="r:2")


def test_the_simulated_provider_answers_a_repeated_key_with_the_first_answer(simulated: tuple) -> None:
    provider, customer_id, card_id = simulated
    assert provider.customer_create(email="p@example.com", user_id="u1", idempotency_key="customer:u1") == customer_id

    def authorise() -> str:
        return provider.intent_authorise(
            customer_id=customer_id, card_id=card_id, amount=5000, currency="eur", reference="b1", idempotency_key="a:1"
        ).id

    assert authorise() == authorise()
    first = provider.intent_capture(intent_id=authorise(), amount=100, idempotency_key="c:1")
    assert provider.intent_capture(intent_id=authorise(), amount=100, idempotency_key="c:1") == first
    refund = provider.refund_create(intent_id=first.id, amount=100, idempotency_key="r:1")
    assert provider.refund_create(intent_id=first.id, amount=100, idempotency_key="r:1") == refund


def test_every_simulated_customer_has_a_test_card(simulated: tuple) -> None:
    provider, customer_id, _ = simulated

    assert [card.last4 for card in provider.cards_list(customer_id=customer_id)] == ["4242"]


def test_stripe_out_of_reach_is_unavailable_not_refused(localstripe: Any, settings: Any) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{sock.getsockname()[1]}"

    with pytest.raises(ProviderUnavailable):
        payment_provider().intent_retrieve(intent_id="pi_123")


def test_stripe_refuses_an_unknown_intent(localstripe: Any) -> None:
    with pytest.raises(ProviderRefused) as refused:
        payment_provider().intent_retrieve(intent_id="pi_unknown")

    assert not isinstance(refused.value, ProviderUnavailable)
