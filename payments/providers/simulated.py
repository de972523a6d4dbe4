"""The simulated provider of the embedded default: Stripe's states and rules, kept in our own database.

Every parent's customer comes with a test card, so an authorisation goes
straight to ``requires_capture`` with nothing configured. Cards whose last
four digits are Stripe's test numbers behave like them: ``3155`` asks for
authentication (``requires_action``), ``0341`` is declined at payment (:class:`ProviderDeclined`). The
provider refuses what Stripe refuses (capturing more than was authorised or
twice, cancelling a captured intent, refunding more than was received), and
honours idempotency keys: a repeated key answers the first response.

Its records join the caller's transaction, so a rolled-back operation leaves
no trace here (at Stripe it would: the idempotency key is what makes a retry
safe there). It sends no webhooks: services apply its answers directly, and
the events reach the same handlers (:mod:`payments.handlers`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.models import SimulatedObject
from payments.providers.base import (
    AccountBalance,
    Card,
    ConnectedAccountState,
    Dispute,
    Intent,
    IntentStatus,
    ProviderDeclined,
    ProviderEventData,
    ProviderRefused,
    RefundResult,
    ReversalResult,
    SetupSession,
    SignatureInvalid,
    TransferResult,
)

PROVIDER = "simulated"
# The simulated onboarding page's links (payments/api/simulated.py) carry the account, signed, for an hour.
ONBOARDING_SALT = "payments.simulated-onboarding"
ONBOARDING_LINK_SECONDS = 3600
AUTHENTICATE_LAST4 = "3155"
DECLINE_LAST4 = "0341"
CANCELLABLE = {
    IntentStatus.REQUIRES_PAYMENT_METHOD,
    IntentStatus.REQUIRES_CONFIRMATION,
    IntentStatus.REQUIRES_ACTION,
    IntentStatus.REQUIRES_CAPTURE,
}


def _new_id(prefix: str) -> str:
    return f"{prefix}_sim_{secrets.token_hex(8)}"


def _get(object_id: str, kind: str) -> SimulatedObject:
    found = SimulatedObject.objects.select_for_update().filter(pk=object_id, kind=kind).first()
    if found is None:
        raise ProviderRefused(f"No such {kind}: {object_id}", code="resource_missing")
    return found


def _idempotent(key: str, operation: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The first answer given for ``key``, or the answer of running ``operation`` now (recorded under ``key``)."""
    earlier = SimulatedObject.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        return dict(earlier.data)
    with transaction.atomic():
        answer = operation()
        try:
            with transaction.atomic():
                SimulatedObject.objects.create(id=_new_id("idem"), kind="response", data=answer, idempotency_key=key)
        except IntegrityError:
            return dict(SimulatedObject.objects.get(idempotency_key=key).data)
    return answer


def _intent(data: dict[str, Any]) -> Intent:
    return Intent(
        id=data["id"],
        status=IntentStatus(data["status"]),
        amount=data["amount"],
        currency=data["currency"],
        client_secret=data["client_secret"],
        payment_method_id=data["payment_method"],
        amount_received=data.get("amount_received"),
        error_code=data.get("error_code", ""),
        amount_captured=data.get("amount_received") or 0,
        amount_refunded=int(data.get("amount_refunded", 0)),
    )


def _account(data: dict[str, Any]) -> ConnectedAccountState:
    return ConnectedAccountState(
        id=data["id"],
        details_submitted=bool(data.get("details_submitted")),
        charges_enabled=bool(data.get("charges_enabled")),
        payouts_enabled=bool(data.get("payouts_enabled")),
    )


def onboarding_token_read(token: str) -> dict[str, str]:
    """The account and return URL a simulated onboarding link carries; BadSignature when forged or expired."""
    return dict(signing.loads(token, salt=ONBOARDING_SALT, max_age=ONBOARDING_LINK_SECONDS))


def _save(obj: SimulatedObject, **changes: Any) -> dict[str, Any]:
    obj.data = {**obj.data, **changes}
    obj.save(update_fields=["data"])
    return dict(obj.data)


class SimulatedProvider:
    name = PROVIDER

    def customer_create(self, *, email: str, user_id: str, idempotency_key: str) -> str:
        def create() -> dict[str, Any]:
            customer = SimulatedObject.objects.create(id=_new_id("cus"), kind="customer", data={"email": email})
            test_card = {"customer": customer.pk, "brand": "visa", "last4": "4242", "exp_month": 12}
            SimulatedObject.objects.create(
                id=_new_id("pm"), kind="card", data={**test_card, "exp_year": timezone.now().year + 3}
            )
            return {"id": customer.pk}

        return str(_idempotent(idempotency_key, create)["id"])

    def customer_delete(self, *, customer_id: str) -> None:
        with transaction.atomic():
            SimulatedObject.objects.filter(kind="card", data__customer=customer_id).delete()
            SimulatedObject.objects.filter(pk=customer_id, kind="customer").update(data={"deleted": True})

    def setup_session_create(self, *, customer_id: str, idempotency_key: str) -> SetupSession:
        def create() -> dict[str, Any]:
            _get(customer_id, "customer")
            setup_id = _new_id("seti")
            data = {"customer": customer_id, "client_secret": f"{setup_id}_secret_{secrets.token_hex(8)}"}
            SimulatedObject.objects.create(id=setup_id, kind="setup_intent", data=data)
            return {"id": setup_id, "client_secret": data["client_secret"]}

        answer = _idempotent(idempotency_key, create)
        return SetupSession(id=answer["id"], client_secret=answer["client_secret"])

    def cards_list(self, *, customer_id: str) -> list[Card]:
        cards = SimulatedObject.objects.filter(kind="card", data__customer=customer_id).order_by("created_at")
        return [
            Card(
                id=card.pk,
                brand=card.data["brand"],
                last4=card.data["last4"],
                exp_month=card.data["exp_month"],
                exp_year=card.data["exp_year"],
            )
            for card in cards
        ]

    def card_add(self, *, customer_id: str, last4: str, brand: str = "visa") -> Card:
        """Save a test card directly (what the app's SetupIntent confirmation does at Stripe)."""
        data = {"customer": customer_id, "brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2099}
        card = SimulatedObject.objects.create(id=_new_id("pm"), kind="card", data=data)
        return Card(id=card.pk, brand=brand, last4=last4, exp_month=12, exp_year=2099)

    def card_detach(self, *, card_id: str, idempotency_key: str) -> None:
        _idempotent(idempotency_key, lambda: _save(_get(card_id, "card"), customer=None))

    def intent_authorise(
        self,
        *,
        customer_id: str,
        card_id: str,
        amount: int,
        currency: str,
        reference: str,
        idempotency_key: str,
    ) -> Intent:
        def create() -> dict[str, Any]:
            card = _get(card_id, "card")
            if card.data.get("customer") != customer_id:
                raise ProviderRefused("The card is not the customer's.", code="resource_missing")
            intent_id = _new_id("pi")
            data: dict[str, Any] = {
                "id": intent_id,
                "status": IntentStatus.REQUIRES_CAPTURE,
                "amount": amount,
                "currency": currency,
                "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
                "payment_method": card_id,
                "reference": reference,
                "error_code": "",
            }
            if card.data["last4"] == AUTHENTICATE_LAST4:
                data["status"] = IntentStatus.REQUIRES_ACTION
            elif card.data["last4"] == DECLINE_LAST4:
                raise ProviderDeclined("Your card was declined.", code="card_declined")
            SimulatedObject.objects.create(id=intent_id, kind="payment_intent", data=data)
            return data

        return _intent(_idempotent(idempotency_key, create))

    def intent_authenticate(self, *, intent_id: str, success: bool) -> Intent:
        """The parent answers the bank (what Stripe.js does with the client secret)."""
        intent = _get(intent_id, "payment_intent")
        if intent.data["status"] != IntentStatus.REQUIRES_ACTION:
            raise ProviderRefused("The intent does not require action.", code="payment_intent_unexpected_state")
        if success:
            return _intent(_save(intent, status=IntentStatus.REQUIRES_CAPTURE))
        failure = {"status": IntentStatus.REQUIRES_PAYMENT_METHOD, "error_code": "authentication_failed"}
        return _intent(_save(intent, **failure))

    def intent_retrieve(self, *, intent_id: str) -> Intent:
        found = SimulatedObject.objects.filter(pk=intent_id, kind="payment_intent").first()
        if found is None:
            raise ProviderRefused(f"No such payment_intent: {intent_id}", code="resource_missing")
        return _intent(found.data)

    def intent_capture(self, *, intent_id: str, amount: int, idempotency_key: str) -> Intent:
        def capture() -> dict[str, Any]:
            intent = _get(intent_id, "payment_intent")
            if intent.data["status"] != IntentStatus.REQUIRES_CAPTURE:
                raise ProviderRefused("This intent cannot be captured.", code="payment_intent_unexpected_state")
            if not 0 < amount <= intent.data["amount"]:
                raise ProviderRefused("amount_to_capture is out of range.", code="amount_too_large")
            return _save(intent, status=IntentStatus.SUCCEEDED, amount_received=amount)

        return _intent(_idempotent(idempotency_key, capture))

    def intent_cancel(self, *, intent_id: str, idempotency_key: str) -> Intent:
        def cancel() -> dict[str, Any]:
            intent = _get(intent_id, "payment_intent")
            if intent.data["status"] not in CANCELLABLE:
                raise ProviderRefused("This intent cannot be canceled.", code="payment_intent_unexpected_state")
            return _save(intent, status=IntentStatus.CANCELED)

        return _intent(_idempotent(idempotency_key, cancel))

    def refund_create(self, *, intent_id: str, amount: int, idempotency_key: str) -> RefundResult:
        def refund() -> dict[str, Any]:
            intent = _get(intent_id, "payment_intent")
            refunded = int(intent.data.get("amount_refunded", 0))
            if intent.data["status"] != IntentStatus.SUCCEEDED:
                raise ProviderRefused("Nothing was captured.", code="charge_not_captured")
            if not 0 < amount <= int(intent.data["amount_received"]) - refunded:
                raise ProviderRefused("The refund is larger than what is left.", code="amount_too_large")
            _save(intent, amount_refunded=refunded + amount)
            refund_id = _new_id("re")
            data = {"id": refund_id, "amount": amount, "status": "succeeded", "payment_intent": intent_id}
            SimulatedObject.objects.create(id=refund_id, kind="refund", data=data)
            return data

        answer = _idempotent(idempotency_key, refund)
        return RefundResult(id=answer["id"], amount=answer["amount"], status=answer["status"])

    def dispute_retrieve(self, *, dispute_id: str) -> Dispute:
        """Disputes come from card networks, which the simulated provider has none of: none exists."""
        raise ProviderRefused(f"No such dispute: {dispute_id}", code="resource_missing")

    def event_verify(self, *, payload: bytes, signature: str) -> ProviderEventData:
        raise SignatureInvalid("The simulated provider sends no webhooks.")

    # --- Connect ------------------------------------------------------------------------------------------

    def connected_account_create(self, *, email: str, user_id: str, idempotency_key: str) -> ConnectedAccountState:
        def create() -> dict[str, Any]:
            account_id = _new_id("acct")
            data = {"id": account_id, "email": email, "user_id": user_id, "details_submitted": False}
            data |= {"charges_enabled": False, "payouts_enabled": False}
            SimulatedObject.objects.create(id=account_id, kind="account", data=data)
            return data

        return _account(_idempotent(idempotency_key, create))

    def connected_account_retrieve(self, *, account_id: str) -> ConnectedAccountState:
        found = SimulatedObject.objects.filter(pk=account_id, kind="account").first()
        if found is None:
            raise ProviderRefused(f"No such account: {account_id}", code="resource_missing")
        return _account(found.data)

    def connected_account_complete(self, *, account_id: str) -> ConnectedAccountState:
        """The sitter finishes onboarding (what they do on Stripe's hosted pages)."""
        ready = {"details_submitted": True, "charges_enabled": True, "payouts_enabled": True}
        with transaction.atomic():
            return _account(_save(_get(account_id, "account"), **ready))

    def account_link_create(self, *, account_id: str, refresh_url: str, return_url: str, idempotency_key: str) -> str:
        """A link to our own page that plays Stripe's hosted onboarding (payments/api/simulated.py)."""
        self.connected_account_retrieve(account_id=account_id)
        claims = {"account": account_id, "return_url": return_url, "link": secrets.token_hex(8)}  # each link its own
        token = signing.dumps(claims, salt=ONBOARDING_SALT)
        base = (getattr(settings, "API_PUBLIC_URL", "") or settings.FRONTEND_URL).rstrip("/")
        return f"{base}/api/v1/payments/payouts/simulated-onboarding?token={token}"

    def transfer_create(
        self,
        *,
        account_id: str,
        amount: int,
        currency: str,
        transfer_group: str,
        source_intent_id: str,
        idempotency_key: str,
    ) -> TransferResult:
        def create() -> dict[str, Any]:
            account = _get(account_id, "account")
            if not account.data.get("payouts_enabled"):
                raise ProviderRefused("The account cannot receive transfers yet.", code="account_invalid")
            intent = _get(source_intent_id, "payment_intent")
            if intent.data["status"] != IntentStatus.SUCCEEDED:
                raise ProviderRefused("The source charge has not been captured.", code="invalid_source_transaction")
            transfer_id = _new_id("tr")
            data = {"id": transfer_id, "amount": amount, "currency": currency, "destination": account_id}
            data |= {"transfer_group": transfer_group, "amount_reversed": 0}
            if amount < 1:
                raise ProviderRefused("amount must be positive.", code="parameter_invalid_integer")
            SimulatedObject.objects.create(id=transfer_id, kind="transfer", data=data)
            return data

        answer = _idempotent(idempotency_key, create)
        return TransferResult(id=answer["id"], amount=answer["amount"], amount_reversed=answer["amount_reversed"])

    def transfer_reverse(self, *, transfer_id: str, amount: int, idempotency_key: str) -> ReversalResult:
        def reverse() -> dict[str, Any]:
            transfer = _get(transfer_id, "transfer")
            reversed_before = int(transfer.data["amount_reversed"])
            if not 0 < amount <= int(transfer.data["amount"]) - reversed_before:
                raise ProviderRefused("The reversal is larger than what is left.", code="amount_too_large")
            _save(transfer, amount_reversed=reversed_before + amount)
            reversal_id = _new_id("trr")
            data = {"id": reversal_id, "amount": amount, "transfer": transfer_id}
            SimulatedObject.objects.create(id=reversal_id, kind="transfer_reversal", data=data)
            return data

        answer = _idempotent(idempotency_key, reverse)
        return ReversalResult(id=answer["id"], amount=answer["amount"])

    def balance_retrieve(self, *, account_id: str, currency: str) -> AccountBalance:
        """Transfers less reversals, all available at once: the simulated provider pays out nothing."""
        self.connected_account_retrieve(account_id=account_id)
        transfers = SimulatedObject.objects.filter(kind="transfer", data__destination=account_id)
        total = sum(
            int(item.data["amount"]) - int(item.data["amount_reversed"])
            for item in transfers
            if item.data["currency"] == currency
        )
        return AccountBalance(available=total, pending=0)
