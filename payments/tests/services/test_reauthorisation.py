"""Renewing an authorisation before the provider's 7-day limit, once, or telling the referenced object."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from accounts.models import User
from conftest import race
from guardiannest.audit.models import AuditEvent
from guardiannest.registries import beat_entries
from payments.models import LedgerEntry, LedgerKind, Payment, PaymentStatus
from payments.providers.base import IntentStatus
from payments.selectors import ledger_balances
from payments.services import customer_for, payment_authorise, payment_capture, payment_methods_sync
from payments.services.reauthorisation import payment_reauthorise, payments_reauthorise_due
from payments.services.reconciliation import payments_reconcile
from payments.services.state import payment_apply_intent
from payments.tests.helpers import notices_sent
from payments.tests.sides import Side
from payments.tests.stripe_app import LocalStripe, signed_event

pytestmark = pytest.mark.django_db


def _authorised(side: Side, parent: User, sitter: User, card: str = "ok", days_ago: float = 6.5) -> Payment:
    customer = customer_for(parent=parent)
    if side.localstripe is not None or card != "ok":
        side.card_save(customer.provider_customer_id, card)
        payment_methods_sync(customer=customer)
    payment = payment_authorise(payer=parent, payee=sitter, amount=5000, reference="b-1", actor=sitter)
    if payment.status == PaymentStatus.REQUIRES_ACTION:  # the parent approves it with their bank, on session
        intent_id = str(payment.provider_intent_id)
        side.authenticate(side.provider.intent_retrieve(intent_id=intent_id))
        # What the webhook that follows does: apply the intent as the provider has it now.
        payment_apply_intent(payment=payment, intent=side.provider.intent_retrieve(intent_id=intent_id), actor=None)
    assert payment.status == PaymentStatus.AUTHORISED
    Payment.objects.filter(pk=payment.pk).update(authorised_at=timezone.now() - timedelta(days=days_ago))
    payment.refresh_from_db()
    return payment


def _authorisations(payment: Payment) -> int:
    return LedgerEntry.objects.filter(
        payment=payment, kind=LedgerKind.AUTHORISATION, account="parent_card_hold"
    ).count()


def _renewals(result: str) -> float:
    return REGISTRY.get_sample_value("guardiannest_payment_reauthorisations_total", {"result": result}) or 0.0


def test_an_authorisation_nearing_the_limit_is_renewed_and_the_old_one_cancelled(
    side: Side, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    payment = _authorised(side, parent, sitter)
    old_intent = str(payment.provider_intent_id)
    renewed = _renewals("renewed")

    with django_capture_on_commit_callbacks(execute=True):
        assert payments_reauthorise_due() == {"renewed": 1, "failed": 0, "skipped": 0}

    assert _renewals("renewed") == renewed + 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED and payment.provider_intent_id != old_intent
    assert payment.reauthorisations == 1 and payment.reauth_claimed_at is None
    assert payment.authorised_at is not None and timezone.now() - payment.authorised_at < timedelta(minutes=1)
    assert side.provider.intent_retrieve(intent_id=old_intent).status == IntentStatus.CANCELED
    new = side.provider.intent_retrieve(intent_id=str(payment.provider_intent_id))
    assert (new.status, new.amount) == (IntentStatus.REQUIRES_CAPTURE, 5000)
    # The ledger: the old hold released, the new one taken; still 5000 held.
    assert _authorisations(payment) == 2
    assert LedgerEntry.objects.filter(payment=payment, kind=LedgerKind.RELEASE).count() == 2
    assert ledger_balances(payment=payment)["parent_card_hold"] == 5000
    assert AuditEvent.objects.filter(action="payment.reauthorised", target_id=str(payment.pk)).count() == 1
    # Not due any more; the renewed authorisation is the one captured, and the books agree with the provider.
    assert payments_reauthorise_due() == {"renewed": 0, "failed": 0, "skipped": 0}
    payment_capture(payment=payment, amount=5000, actor=None)
    assert payments_reconcile(since=timezone.now() - timedelta(days=1)).clean


def test_a_recent_authorisation_is_left_alone(side: Side, parent: User, sitter: User) -> None:
    payment = _authorised(side, parent, sitter, days_ago=1)

    assert payments_reauthorise_due() == {"renewed": 0, "failed": 0, "skipped": 0}
    assert payment_reauthorise(payment_id=str(payment.pk)) == "skipped"

    payment.refresh_from_db()
    assert payment.reauthorisations == 0


def test_when_the_bank_wants_the_parent_the_object_is_told_and_the_old_hold_kept(
    side: Side, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    payment = _authorised(side, parent, sitter, card="authenticate")
    old_intent = str(payment.provider_intent_id)

    with django_capture_on_commit_callbacks() as callbacks:
        assert payments_reauthorise_due() == {"renewed": 0, "failed": 1, "skipped": 0}

    payment.refresh_from_db()
    assert (payment.status, payment.provider_intent_id) == (PaymentStatus.AUTHORISED, old_intent)
    assert payment.reauth_failed_at is not None and payment.last_error_code
    assert notices_sent(callbacks) == [(str(payment.pk), "reauthorisation_failed")]
    assert _authorisations(payment) == 1 and ledger_balances(payment=payment)["parent_card_hold"] == 5000
    assert side.provider.intent_retrieve(intent_id=old_intent).status == IntentStatus.REQUIRES_CAPTURE
    # Told once: the failed payment is not tried (and told) again by the next run.
    assert payments_reauthorise_due() == {"renewed": 0, "failed": 0, "skipped": 0}


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_renew_the_same_payment(localstripe: LocalStripe, parent: User, sitter: User) -> None:
    payment = _authorised(Side("stripe", localstripe), parent, sitter)

    results = race(8, lambda: payment_reauthorise(payment_id=str(payment.pk)))

    assert sorted(results) == ["renewed"] + ["skipped"] * 7, results  # type: ignore[type-var]
    payment.refresh_from_db()
    assert payment.reauthorisations == 1 and _authorisations(payment) == 2


def test_the_beat_entry_runs_the_renewal() -> None:
    entry = beat_entries.get("payments-reauthorise-due")

    assert entry is not None and entry["task"] == "payments.payments_reauthorise_due"
    assert float(entry["schedule"]) > 0  # type: ignore[arg-type]


def test_stripes_event_for_the_cancelled_old_intent_does_not_release_the_renewed_payment(
    localstripe: LocalStripe, parent: User, sitter: User
) -> None:
    payment = _authorised(Side("stripe", localstripe), parent, sitter)
    old_intent = str(payment.provider_intent_id)
    assert payment_reauthorise(payment_id=str(payment.pk)) == "renewed"

    payload, signature = signed_event("payment_intent.canceled", {"id": old_intent, "object": "payment_intent"})
    answer = APIClient().post(
        "/api/v1/payments/webhooks/stripe", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )

    assert answer.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED and payment.provider_intent_id != old_intent
    assert ledger_balances(payment=payment)["parent_card_hold"] == 5000
