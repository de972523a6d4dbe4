"""Provider events, once each: stored under their unique id in the same transaction as their effect.

:func:`provider_event_process` takes a verified event (the API checked its
signature on the raw body). Handlers are chosen by type from one dict; each
re-reads the object from the provider rather than trusting the payload (events
repeat, arrive out of order and retry for days) and locks the payment row
before changing it. A repeated event id finds its row already there and does
nothing; an unknown type is stored, logged and answered all the same.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.db import IntegrityError, transaction

from payments.metrics import webhook_received
from payments.models import ConnectedAccount, Payment, PaymentCustomer, ProviderEvent
from payments.providers import payment_provider
from payments.providers.base import ProviderEventData
from payments.services.calls import provider_call
from payments.services.cards import payment_methods_sync
from payments.services.disputes import dispute_apply
from payments.services.payouts import connected_account_refresh
from payments.services.state import payment_apply_intent

logger = structlog.get_logger("payments.webhooks")

Handler = Callable[[ProviderEventData], Payment | None]


def _intent_changed(event: ProviderEventData) -> Payment | None:
    """Any PaymentIntent event: follow the intent as the provider has it now."""
    provider = payment_provider()
    payment = (
        Payment.objects.select_for_update().filter(provider=provider.name, provider_intent_id=event.object_id).first()
    )
    if payment is None:
        logger.info("payment_event_unmatched", event_id=event.id, type=event.type, intent=event.object_id)
        return None
    intent = provider_call(lambda: provider.intent_retrieve(intent_id=event.object_id))
    payment_apply_intent(payment=payment, intent=intent, actor=None)
    return payment


def _cards_changed(event: ProviderEventData) -> Payment | None:
    """A card was saved or removed at the provider: mirror the customer's cards."""
    customer_id = str(event.data.get("customer") or "")
    customer = PaymentCustomer.objects.filter(
        provider=payment_provider().name, provider_customer_id=customer_id
    ).first()
    if customer is not None:
        payment_methods_sync(customer=customer)
    return None


def _dispute_changed(event: ProviderEventData) -> Payment | None:
    """A chargeback opened, moved on or closed: its case for staff, its ledger, the referenced object told."""
    provider = payment_provider()
    dispute = provider_call(lambda: provider.dispute_retrieve(dispute_id=event.object_id))
    payment = (
        Payment.objects.select_for_update()
        .filter(provider=provider.name, provider_intent_id=dispute.payment_intent)
        .first()
    )
    if payment is None:
        logger.warning(
            "payment_dispute_unmatched", event_id=event.id, intent=dispute.payment_intent, dispute=dispute.id
        )
        return None
    dispute_apply(payment=payment, dispute=dispute, provider=provider.name)
    return payment


def _account_changed(event: ProviderEventData) -> Payment | None:
    """A sitter's connected account changed (onboarding finished, payouts paused): follow it as it is now."""
    account = ConnectedAccount.objects.filter(
        provider=payment_provider().name, provider_account_id=event.object_id
    ).first()
    if account is None:
        logger.info("payout_account_event_unmatched", event_id=event.id, account=event.object_id)
        return None
    connected_account_refresh(account=account)
    return None


HANDLERS: dict[str, Handler] = {
    "account.updated": _account_changed,
    "payment_intent.amount_capturable_updated": _intent_changed,
    "payment_intent.requires_action": _intent_changed,
    "payment_intent.payment_failed": _intent_changed,
    "payment_intent.succeeded": _intent_changed,
    "payment_intent.canceled": _intent_changed,
    "setup_intent.succeeded": _cards_changed,
    "payment_method.attached": _cards_changed,
    "payment_method.detached": _cards_changed,
    "charge.dispute.created": _dispute_changed,
    "charge.dispute.updated": _dispute_changed,
    "charge.dispute.closed": _dispute_changed,
    "charge.dispute.funds_withdrawn": _dispute_changed,
    "charge.dispute.funds_reinstated": _dispute_changed,
}


def provider_event_process(*, event: ProviderEventData) -> bool:
    """Apply a verified event once; False when its id was seen before (nothing is done again)."""
    provider = payment_provider()
    handler = HANDLERS.get(event.type)
    try:
        with transaction.atomic():
            record = ProviderEvent.objects.create(
                provider=provider.name, event_id=event.id, type=event.type, handled=handler is not None
            )
            if handler is None:
                logger.info("payment_event_ignored", event_id=event.id, type=event.type)
                webhook_received(provider=provider.name, result="ignored", created=event.created)
                return True
            payment = handler(event)
            if payment is not None:
                record.payment = payment
                record.save(update_fields=["payment"])
            webhook_received(provider=provider.name, result="applied", created=event.created)
            return True
    except IntegrityError:
        if ProviderEvent.objects.filter(provider=provider.name, event_id=event.id).exists():
            logger.info("payment_event_repeated", event_id=event.id, type=event.type)
            webhook_received(provider=provider.name, result="repeated", created=event.created)
            return False
        raise
