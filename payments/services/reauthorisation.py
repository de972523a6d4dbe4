"""Renewing an authorisation before the provider drops it (Stripe: 7 days), or telling the booking.

A beat task (:func:`payments_reauthorise_due`) finds payments authorised
longer ago than ``PAYMENTS_REAUTHORISE_AFTER_HOURS`` and still waiting for
their capture. Each is claimed with a conditional update (STYLE.md, habit 4),
so two workers never renew the same payment; a claim older than
:data:`CLAIM_TIMEOUT` (a worker that died) may be taken again.

:func:`payment_reauthorise` then, under the payment's row lock, confirms a new
manual-capture PaymentIntent off-session on the same card, with the key of
that attempt (``payment:<id>:reauthorise:<n>``): a retry after an outage gets
the same intent back. Once the new one holds the money, the old one is
cancelled and the ledger records the old hold released and the new one taken.
When the bank declines or asks the parent to authenticate, the new intent is
cancelled, the old authorisation stays until it lapses, and the referenced
object hears ``reauthorisation_failed`` (bookings tells the parent).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from guardiannest.audit.services import audit_record
from payments.handlers import PaymentEvent, payment_event_on_commit
from payments.metrics import reauthorisation_on_commit
from payments.models import LedgerKind, Payment, PaymentCustomer, PaymentMethod, PaymentStatus
from payments.providers import payment_provider
from payments.providers.base import Intent, IntentStatus, ProviderError, ProviderRefused, ProviderUnavailable
from payments.services.calls import unavailable
from payments.services.ledger import authorisation_lines, ledger_post, release_lines

logger = structlog.get_logger("payments.reauthorisation")

# A claim this old belongs to a worker that died: another may take the payment.
CLAIM_TIMEOUT = timedelta(minutes=10)
BATCH = 200


def _due(now: datetime) -> Q:
    cutoff = now - timedelta(hours=settings.PAYMENTS_REAUTHORISE_AFTER_HOURS)
    return Q(status=PaymentStatus.AUTHORISED, authorised_at__lt=cutoff, reauth_failed_at__isnull=True)


def payments_reauthorise_due(*, now: datetime | None = None) -> dict[str, int]:
    """Renew every authorisation that is due; answer how many were renewed, failed or skipped (claimed elsewhere)."""
    now = now or timezone.now()
    provider = payment_provider().name
    ids = list(
        Payment.objects.filter(_due(now), provider=provider)
        .order_by("authorised_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    results = {"renewed": 0, "failed": 0, "skipped": 0}
    for payment_id in ids:
        try:
            results[payment_reauthorise(payment_id=str(payment_id), now=now)] += 1
        except Exception:  # one payment's outage must not stop the others; it is tried again next run
            logger.exception("payment_reauthorise_error", payment_id=str(payment_id))
            results["skipped"] += 1
    return results


def _card(payment: Payment) -> PaymentMethod | None:
    if payment.payment_method_id is not None:
        return payment.payment_method
    return (
        PaymentMethod.objects.filter(customer__user_id=payment.payer_id, customer__provider=payment.provider)
        .order_by("-created_at", "-pk")
        .first()
    )


def _cancel_quietly(intent_id: str, key: str) -> None:
    """Cancel an intent we no longer need; one the provider refuses to cancel lapses by itself."""
    try:
        payment_provider().intent_cancel(intent_id=intent_id, idempotency_key=key)
    except ProviderError as exc:
        logger.warning("payment_reauthorise_cancel_failed", intent=intent_id, code=exc.code, error=str(exc))


def payment_reauthorise(*, payment_id: str, now: datetime | None = None) -> str:
    """Renew one due authorisation: ``"renewed"``, ``"failed"`` (the object was told) or ``"skipped"``.

    Skipped: the payment is not due any more (captured, released, renewed) or
    another worker holds the claim. A provider outage raises and leaves the
    claim to time out, so a later run tries again with the same key.
    """
    now = now or timezone.now()
    claimed = (
        Payment.objects.filter(_due(now), pk=payment_id)
        .filter(Q(reauth_claimed_at__isnull=True) | Q(reauth_claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(reauth_claimed_at=now)
    )
    if claimed != 1:
        return "skipped"
    provider = payment_provider()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != PaymentStatus.AUTHORISED or payment.reauth_claimed_at != now:
            return "skipped"  # captured or released while we waited for the lock
        old_intent = str(payment.provider_intent_id)
        attempt = payment.attempts + 1
        key = f"payment:{payment.pk}:reauthorise:{attempt}"
        card = _card(payment)
        customer = PaymentCustomer.objects.filter(user_id=payment.payer_id, provider=payment.provider).first()
        intent: Intent | None = None
        error = "no_payment_method"
        if card is not None and customer is not None:
            try:
                intent = provider.intent_authorise(
                    customer_id=customer.provider_customer_id,
                    card_id=card.provider_method_id,
                    amount=payment.amount,
                    currency=payment.currency,
                    reference=payment.reference,
                    idempotency_key=key,
                )
                error = intent.error_code or str(intent.status)
            except ProviderUnavailable as exc:
                raise unavailable(exc) from exc
            except ProviderRefused as exc:  # declined, or refused outright
                error = exc.code or "refused"
        payment.attempts = attempt
        if intent is not None and intent.status == IntentStatus.REQUIRES_CAPTURE:
            _cancel_quietly(old_intent, f"{key}:cancel-previous")
            ledger_post(payment=payment, kind=LedgerKind.RELEASE, lines=release_lines(payment.amount))
            ledger_post(payment=payment, kind=LedgerKind.AUTHORISATION, lines=authorisation_lines(payment.amount))
            payment.provider_intent_id, payment.authorised_at = intent.id, now
            payment.reauth_claimed_at, payment.reauthorisations = None, payment.reauthorisations + 1
            payment.payment_method = card
            payment.save()
            audit_record(
                action="payment.reauthorised",
                target=payment,
                data={"reference": payment.reference, "previous_intent": old_intent, "intent": intent.id},
            )
            reauthorisation_on_commit(result="renewed")
            logger.info("payment_reauthorised", payment_id=str(payment.pk), previous=old_intent, intent=intent.id)
            return "renewed"
        if intent is not None and intent.id and intent.status != IntentStatus.CANCELED:
            _cancel_quietly(intent.id, f"{key}:cancel")  # it holds nothing we can use off-session
        payment.reauth_failed_at, payment.reauth_claimed_at = now, None
        payment.last_error_code = error[:64]
        payment.save()
        audit_record(
            action="payment.reauthorisation_failed",
            target=payment,
            data={"reference": payment.reference, "intent": old_intent, "error": error},
        )
        payment_event_on_commit(payment_id=str(payment.pk), event=PaymentEvent.REAUTHORISATION_FAILED)
        reauthorisation_on_commit(result="failed")
        logger.warning("payment_reauthorisation_failed", payment_id=str(payment.pk), error=error)
        return "failed"
