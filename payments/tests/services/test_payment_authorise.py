"""payment_authorise and payment_release against both providers: states, ledger holds, notices, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError, Refusal
from payments.models import LedgerAccount, LedgerEntry, Payment, PaymentStatus
from payments.selectors import ledger_balances
from payments.services import customer_for, payment_authorise, payment_methods_sync, payment_release
from payments.tests.helpers import notices_sent
from payments.tests.sides import Side

pytestmark = pytest.mark.django_db


def _authorise(parent: User, sitter: User, amount: int = 5000, reference: str = "booking-1") -> Payment:
    return payment_authorise(payer=parent, payee=sitter, amount=amount, reference=reference, actor=sitter)


def _card(side: Side, parent: User, kind: str = "ok") -> None:
    customer = customer_for(parent=parent)
    side.card_save(customer.provider_customer_id, kind)
    payment_methods_sync(customer=customer)


def test_authorise_holds_the_amount_on_the_newest_card(
    side: Side, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    _card(side, parent)

    with django_capture_on_commit_callbacks() as callbacks:
        payment = _authorise(parent, sitter)

    assert payment.status == PaymentStatus.AUTHORISED
    assert payment.provider == side.name and payment.provider_intent_id
    assert payment.payment_method is not None and payment.payment_method.last4 == "4242"
    balances = ledger_balances(payment=payment)
    assert (balances[LedgerAccount.PARENT_CARD_HOLD], balances[LedgerAccount.PARENT_CARD]) == (5000, -5000)
    assert AuditEvent.objects.filter(action="payment.authorised", target_id=str(payment.pk)).count() == 1
    assert notices_sent(callbacks) == [(str(payment.pk), "authorised")]


def test_authorising_again_answers_the_same_payment(side: Side, parent: User, sitter: User) -> None:
    _card(side, parent)
    first = _authorise(parent, sitter)

    again = _authorise(parent, sitter)

    assert again.pk == first.pk and again.status == PaymentStatus.AUTHORISED
    assert LedgerEntry.objects.filter(payment=first).count() == 2  # one hold


def test_another_amount_for_the_same_reference_is_a_conflict(side: Side, parent: User, sitter: User) -> None:
    _card(side, parent)
    _authorise(parent, sitter)

    with pytest.raises(ApplicationError) as refused:
        _authorise(parent, sitter, amount=6000)

    assert (refused.value.code, refused.value.refusal) == ("payment_exists", Refusal.CONFLICT)


def test_a_card_needing_authentication_keeps_the_client_secret_for_the_parent(
    side: Side, parent: User, sitter: User
) -> None:
    customer = customer_for(parent=parent)
    for existing in side.provider.cards_list(customer_id=customer.provider_customer_id):  # the simulated test card
        side.provider.card_detach(card_id=existing.id, idempotency_key=f"test:{existing.id}")
    _card(side, parent, "authenticate")

    payment = _authorise(parent, sitter)

    assert payment.status == PaymentStatus.REQUIRES_ACTION
    assert payment.client_secret.startswith(str(payment.provider_intent_id))
    assert not LedgerEntry.objects.filter(payment=payment).exists()  # nothing is held yet


def test_a_declined_card_waits_for_another_and_the_next_attempt_authorises(
    side: Side, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    customer = customer_for(parent=parent)
    for existing in side.provider.cards_list(customer_id=customer.provider_customer_id):
        side.provider.card_detach(card_id=existing.id, idempotency_key=f"test:{existing.id}")
    _card(side, parent, "declined")

    with django_capture_on_commit_callbacks() as callbacks:
        declined = _authorise(parent, sitter)
    assert (declined.status, declined.last_error_code, declined.attempts) == (
        "requires_payment_method",
        "card_declined",
        1,
    )
    assert notices_sent(callbacks) == [(str(declined.pk), "failed")]

    _card(side, parent, "ok")
    authorised = _authorise(parent, sitter)

    assert authorised.pk == declined.pk
    assert (authorised.status, authorised.attempts, authorised.last_error_code) == ("authorised", 2, "")


def test_a_parent_without_a_card_gets_a_payment_waiting_for_one(localstripe: Any, parent: User, sitter: User) -> None:
    payment = _authorise(parent, sitter)

    assert (payment.status, payment.last_error_code, payment.attempts) == (
        "requires_payment_method",
        "no_payment_method",
        0,
    )


def test_only_parents_pay_and_amounts_are_positive(parent: User, sitter: User, other_sitter: User) -> None:
    with pytest.raises(ApplicationError) as not_parent:
        payment_authorise(payer=sitter, payee=other_sitter, amount=100, reference="b", actor=sitter)
    with pytest.raises(ApplicationError) as zero:
        _authorise(parent, sitter, amount=0)

    assert not_parent.value.refusal == Refusal.FORBIDDEN
    assert zero.value.refusal == Refusal.INVALID and zero.value.errors == {
        "amount": ["Between 1 and 99999999 minor units."]
    }
    assert not Payment.objects.exists()


def test_release_gives_the_hold_back_and_a_new_authorisation_makes_a_new_payment(
    side: Side, parent: User, sitter: User
) -> None:
    _card(side, parent)
    payment = _authorise(parent, sitter)

    released = payment_release(payment=payment, actor=parent)

    assert released.status == PaymentStatus.RELEASED and released.released_at is not None
    assert ledger_balances(payment=payment)[LedgerAccount.PARENT_CARD_HOLD] == 0
    assert payment_release(payment=payment, actor=parent).status == PaymentStatus.RELEASED  # again: as it is
    assert _authorise(parent, sitter).pk != payment.pk


def test_releasing_what_stripe_already_captured_records_the_capture_and_refuses(
    localstripe: Any, parent: User, sitter: User
) -> None:
    localstripe.card_save(customer_for(parent=parent).provider_customer_id)
    payment = _authorise(parent, sitter)
    localstripe.post(f"/v1/payment_intents/{payment.provider_intent_id}/capture", {})  # done from Stripe's dashboard

    with pytest.raises(ApplicationError) as refused:
        payment_release(payment=payment, actor=parent)

    assert (refused.value.code, refused.value.refusal) == ("payment_not_authorised", Refusal.CONFLICT)
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount) == ("captured", 5000)
    assert ledger_balances(payment=payment)[LedgerAccount.PROVIDER_CLEARING] == 5000
