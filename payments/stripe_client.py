"""Stripe, through the ``stripe`` package: the only module that imports it (STYLE.md, habit 6).

:class:`StripeProvider` speaks :class:`payments.providers.base.PaymentProvider`:
customers, SetupIntents and cards, manual-capture PaymentIntents confirmed
off-session, captures, cancellations, refunds, and webhook signatures. Every
call that changes something sends the caller's ``Idempotency-Key``. Errors are
sorted once, here: a decline is an answer (the intent, with its error code),
a network failure, 5xx or 429 is :class:`ProviderUnavailable`, and any other
refusal is :class:`ProviderRefused`.

Configuration comes from settings at each call (``STRIPE_SECRET_KEY``,
``STRIPE_API_BASE`` for a local stand-in such as localstripe in tests,
``STRIPE_TIMEOUT``, ``STRIPE_MAX_NETWORK_RETRIES``, ``STRIPE_WEBHOOK_SECRET``),
so tests point the same code at loopback without patching it.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import stripe
from django.conf import settings

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
    ProviderUnavailable,
    RefundResult,
    ReversalResult,
    SetupSession,
    SignatureInvalid,
    TransferResult,
)

PROVIDER = "stripe"
# Stripe's own default, and what SECURITY.md asks for: older signed payloads are replays.
WEBHOOK_TOLERANCE_SECONDS = 300


@functools.lru_cache(maxsize=4)
def _client(api_key: str, api_base: str, timeout: float, retries: int) -> stripe.StripeClient:
    """One client (and its HTTP session) per configuration, shared by every call in the process."""
    base_addresses: Any = {"api": api_base} if api_base else None
    return stripe.StripeClient(
        api_key,
        base_addresses=base_addresses,
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def client() -> stripe.StripeClient:
    return _client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE.rstrip("/"),
        float(settings.STRIPE_TIMEOUT),
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
    )


def _options(idempotency_key: str) -> Any:
    return {"idempotency_key": idempotency_key}


def _dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    return dict(obj.to_dict())


def _intent(obj: Any, *, error_code: str = "") -> Intent:
    data = _dict(obj)
    last_error = data.get("last_payment_error") or {}
    payment_method = data.get("payment_method") or ""
    if isinstance(payment_method, dict):
        payment_method = payment_method.get("id", "")
    received = data.get("amount_received")
    charge = data.get("latest_charge")
    captured: int | None = None
    refunded: int | None = None
    if isinstance(charge, dict):  # expanded (intent_retrieve asks for it)
        refunded = int(charge.get("amount_refunded") or 0)
        if charge.get("amount_captured") is not None:
            captured = int(charge["amount_captured"])
        else:  # a stand-in without amount_captured (localstripe): a captured charge took its amount
            captured = int(charge.get("amount") or 0) if charge.get("captured") else 0
    return Intent(
        id=data["id"],
        status=IntentStatus(data["status"]),
        amount=int(data["amount"]),
        currency=str(data["currency"]).lower(),
        client_secret=data.get("client_secret") or "",
        payment_method_id=str(payment_method),
        amount_received=int(received) if received is not None and data["status"] == "succeeded" else None,
        error_code=error_code or str(last_error.get("decline_code") or last_error.get("code") or ""),
        amount_captured=captured,
        amount_refunded=refunded,
    )


def _card(obj: Any) -> Card:
    data = _dict(obj)
    card = data.get("card") or {}
    return Card(
        id=data["id"],
        brand=str(card.get("brand") or ""),
        last4=str(card.get("last4") or ""),
        exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"),
    )


def _account(obj: Any) -> ConnectedAccountState:
    data = _dict(obj)
    return ConnectedAccountState(
        id=str(data["id"]),
        details_submitted=bool(data.get("details_submitted")),
        charges_enabled=bool(data.get("charges_enabled")),
        payouts_enabled=bool(data.get("payouts_enabled")),
    )


def _charge_of(intent: dict[str, Any]) -> str:
    """The id of the intent's charge: ``latest_charge`` (current API) or the first of ``charges`` (older ones)."""
    latest = intent.get("latest_charge")
    if isinstance(latest, dict):
        return str(latest.get("id") or "")
    if latest:
        return str(latest)
    charges = (intent.get("charges") or {}).get("data") or []
    return str(charges[0].get("id") or "") if charges else ""


def _sum_in(funds: Any, currency: str) -> int:
    return sum(int(item["amount"]) for item in (funds or []) if str(item.get("currency", "")).lower() == currency)


class _Translate:
    """Turn the SDK's exceptions into ours (the decline case is handled where an intent can come back)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if not isinstance(exc, stripe.StripeError):
            return  # no error, or not the SDK's (ProviderDeclined): it goes on as it is
        code = str(getattr(exc, "code", "") or "")
        if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (exc.http_status or 0) >= 500:
            raise ProviderUnavailable(str(exc.user_message or exc), code=code) from exc
        raise ProviderRefused(str(exc.user_message or exc), code=code) from exc


class StripeProvider:
    name = PROVIDER

    def customer_create(self, *, email: str, user_id: str, idempotency_key: str) -> str:
        with _Translate():
            customer = client().v1.customers.create(
                params={"email": email, "metadata": {"user_id": user_id}}, options=_options(idempotency_key)
            )
        return str(customer.id)

    def customer_delete(self, *, customer_id: str) -> None:
        with _Translate():
            try:
                client().v1.customers.delete(customer_id)
            except stripe.InvalidRequestError as exc:
                if exc.http_status != 404:  # 404: deleted before, done
                    raise

    def setup_session_create(self, *, customer_id: str, idempotency_key: str) -> SetupSession:
        with _Translate():
            params: Any = {"customer": customer_id, "payment_method_types": ["card"], "usage": "off_session"}
            intent = client().v1.setup_intents.create(
                params=params,
                options=_options(idempotency_key),
            )
        return SetupSession(id=str(intent.id), client_secret=str(intent.client_secret))

    def cards_list(self, *, customer_id: str) -> list[Card]:
        with _Translate():
            page = client().v1.payment_methods.list(params={"customer": customer_id, "type": "card", "limit": 100})
        return [_card(method) for method in page.data]

    def card_detach(self, *, card_id: str, idempotency_key: str) -> None:
        with _Translate():
            client().v1.payment_methods.detach(card_id, options=_options(idempotency_key))

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
        params: Any = {
            "amount": amount,
            "currency": currency,
            "customer": customer_id,
            "payment_method": card_id,
            "capture_method": "manual",
            "confirm": True,
            "off_session": True,
            "metadata": {"reference": reference},
        }
        with _Translate():
            try:
                return _intent(client().v1.payment_intents.create(params=params, options=_options(idempotency_key)))
            except stripe.CardError as exc:
                # A decline (or a bank asking for authentication) still made an intent: answer it.
                intent = getattr(exc.error, "payment_intent", None) if exc.error else None
                if intent is None:
                    raise ProviderDeclined(str(exc.user_message or exc), code=str(exc.code or "card_declined")) from exc
                return _intent(intent, error_code=str(exc.code or ""))

    def intent_retrieve(self, *, intent_id: str) -> Intent:
        with _Translate():
            params: Any = {"expand": ["latest_charge"]}
            return _intent(client().v1.payment_intents.retrieve(intent_id, params=params))

    def intent_capture(self, *, intent_id: str, amount: int, idempotency_key: str) -> Intent:
        with _Translate():
            intent = client().v1.payment_intents.capture(
                intent_id, params={"amount_to_capture": amount}, options=_options(idempotency_key)
            )
        return _intent(intent)

    def intent_cancel(self, *, intent_id: str, idempotency_key: str) -> Intent:
        with _Translate():
            return _intent(client().v1.payment_intents.cancel(intent_id, options=_options(idempotency_key)))

    def refund_create(self, *, intent_id: str, amount: int, idempotency_key: str) -> RefundResult:
        with _Translate():
            refund = client().v1.refunds.create(
                params={"payment_intent": intent_id, "amount": amount}, options=_options(idempotency_key)
            )
        return RefundResult(id=str(refund.id), amount=int(refund.amount), status=str(refund.status or "succeeded"))

    # --- Connect ------------------------------------------------------------------------------------------

    def connected_account_create(self, *, email: str, user_id: str, idempotency_key: str) -> ConnectedAccountState:
        params: Any = {
            "type": "express",
            "email": email,
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"user_id": user_id},
        }
        with _Translate():
            return _account(client().v1.accounts.create(params=params, options=_options(idempotency_key)))

    def connected_account_retrieve(self, *, account_id: str) -> ConnectedAccountState:
        with _Translate():
            return _account(client().v1.accounts.retrieve(account_id))

    def account_link_create(self, *, account_id: str, refresh_url: str, return_url: str, idempotency_key: str) -> str:
        params: Any = {
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
        with _Translate():
            return str(client().v1.account_links.create(params=params, options=_options(idempotency_key)).url)

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
        params: Any = {
            "amount": amount,
            "currency": currency,
            "destination": account_id,
            "transfer_group": transfer_group,
            "metadata": {"reference": transfer_group},
        }
        with _Translate():
            # Funded by the booking's own charge, so the transfer need not wait for the platform's balance.
            charge = _charge_of(_dict(client().v1.payment_intents.retrieve(source_intent_id)))
            if charge:
                params["source_transaction"] = charge
            transfer = client().v1.transfers.create(params=params, options=_options(idempotency_key))
        return TransferResult(
            id=str(transfer.id), amount=int(transfer.amount), amount_reversed=int(transfer.amount_reversed or 0)
        )

    def transfer_reverse(self, *, transfer_id: str, amount: int, idempotency_key: str) -> ReversalResult:
        with _Translate():
            reversal = client().v1.transfers.reversals.create(
                transfer_id, params={"amount": amount}, options=_options(idempotency_key)
            )
        return ReversalResult(id=str(reversal.id), amount=int(reversal.amount))

    def balance_retrieve(self, *, account_id: str, currency: str) -> AccountBalance:
        with _Translate():
            balance = _dict(client().v1.balance.retrieve(options={"stripe_account": account_id}))
        return AccountBalance(
            available=_sum_in(balance.get("available"), currency), pending=_sum_in(balance.get("pending"), currency)
        )

    def dispute_retrieve(self, *, dispute_id: str) -> Dispute:
        with _Translate():
            data = _dict(client().v1.disputes.retrieve(dispute_id))
        intent = data.get("payment_intent") or ""
        due = (data.get("evidence_details") or {}).get("due_by")
        return Dispute(
            id=str(data["id"]),
            status=str(data.get("status") or ""),
            amount=int(data.get("amount") or 0),
            currency=str(data.get("currency") or "").lower(),
            payment_intent=str(intent.get("id", "") if isinstance(intent, dict) else intent),
            reason=str(data.get("reason") or ""),
            evidence_due_by=int(due) if due else None,
        )

    def event_verify(self, *, payload: bytes, signature: str) -> ProviderEventData:
        # Connect events (account.updated) come from a Connect endpoint, which Stripe signs with its own secret.
        secrets = [item for item in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET) if item]
        if not secrets:
            raise SignatureInvalid("No webhook secret is configured.")
        try:
            _verify(payload.decode("utf-8"), signature, secrets)
            event = json.loads(payload)
            obj = event["data"]["object"]
            return ProviderEventData(
                id=str(event["id"]),
                type=str(event["type"]),
                object_id=str(obj.get("id", "")),
                object_type=str(obj.get("object", "")),
                data=obj,
                created=int(event["created"]) if "created" in event else None,
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise SignatureInvalid(str(exc)) from exc


def _verify(payload: str, signature: str, secrets: list[str]) -> None:
    """Accept a signature made with any of ``secrets``; raise the last failure otherwise."""
    for secret in secrets[:-1]:
        try:
            stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS)
            return
        except stripe.SignatureVerificationError:
            continue
    stripe.WebhookSignature.verify_header(payload, signature, secrets[-1], tolerance=WEBHOOK_TOLERANCE_SECONDS)
