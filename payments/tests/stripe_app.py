"""What the parent's app and Stripe do on their side, for tests: save a card, answer the bank, sign an event.

Plain HTTP against localstripe (only payments/stripe_client.py imports the
SDK), and webhook signatures made as Stripe makes them: HMAC-SHA256 over
``"{timestamp}.{payload}"`` in ``Stripe-Signature: t=…,v1=…``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import requests

WEBHOOK_SECRET = "whsec_test_guardiannest"
CARD_OK = "4242424242424242"
CARD_AUTHENTICATE = "4000002500003155"
CARD_DECLINED = "4000000000000341"


@dataclass(frozen=True)
class LocalStripe:
    base: str
    key: str = "sk_test_guardiannest"

    def post(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(f"{self.base}{path}", data=data, auth=(self.key, ""), timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def card_save(self, customer_id: str, number: str = CARD_OK) -> str:
        """What Stripe.js does when the parent confirms the SetupIntent: a card attached to the customer."""
        card = {"type": "card", "card[number]": number, "card[exp_month]": 12, "card[exp_year]": 2099}
        method = self.post("/v1/payment_methods", {**card, "card[cvc]": "123"})
        self.post(f"/v1/payment_methods/{method['id']}/attach", {"customer": customer_id})
        return str(method["id"])

    def authenticate(self, intent_id: str, client_secret: str, *, success: bool = True) -> dict[str, Any]:
        """The parent answers the bank's 3-D Secure challenge (localstripe's test endpoint)."""
        data = {"client_secret": client_secret, "success": "true" if success else "false"}
        return self.post(f"/v1/payment_intents/{intent_id}/_authenticate", data)


def signed_event(
    event_type: str,
    obj: dict[str, Any],
    *,
    event_id: str | None = None,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
) -> tuple[bytes, str]:
    """A Stripe event around ``obj`` and its ``Stripe-Signature`` header, signed with ``secret`` at ``timestamp``."""
    created = int(time.time()) if timestamp is None else timestamp
    event = {
        "id": event_id or f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "type": event_type,
        "created": created,
        "data": {"object": obj},
    }
    payload = json.dumps(event).encode()
    signature = hmac.new(secret.encode(), f"{created}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={created},v1={signature}"
