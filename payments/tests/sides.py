"""Both providers behind one test face, so one test proves they walk the same states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from payments.providers import payment_provider
from payments.providers.base import Intent, PaymentProvider
from payments.providers.simulated import AUTHENTICATE_LAST4, DECLINE_LAST4, SimulatedProvider
from payments.tests.stripe_app import CARD_AUTHENTICATE, CARD_DECLINED, CARD_OK, LocalStripe

CARDS = {"ok": (CARD_OK, "4242"), "authenticate": (CARD_AUTHENTICATE, AUTHENTICATE_LAST4)}
CARDS["declined"] = (CARD_DECLINED, DECLINE_LAST4)


@dataclass
class Side:
    """The configured provider, and what the parent's app does with it."""

    name: str
    localstripe: LocalStripe | None = None

    @property
    def provider(self) -> PaymentProvider:
        return payment_provider()

    def card_save(self, customer_id: str, kind: str = "ok") -> str:
        number, last4 = CARDS[kind]
        if self.localstripe is not None:
            return self.localstripe.card_save(customer_id, number)
        return SimulatedProvider().card_add(customer_id=customer_id, last4=last4).id

    def authenticate(self, intent: Intent, *, success: bool = True) -> None:
        if self.localstripe is not None:
            self.localstripe.authenticate(intent.id, intent.client_secret, success=success)
        else:
            SimulatedProvider().intent_authenticate(intent_id=intent.id, success=success)


@pytest.fixture(params=["simulated", "stripe"])
def side(request: pytest.FixtureRequest, db: Any) -> Side:
    if request.param == "stripe":
        return Side("stripe", request.getfixturevalue("localstripe"))
    return Side("simulated")
