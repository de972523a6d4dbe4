"""payment_capture and payment_refund: amounts, refusals that move no money, and races that move it once."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from conftest import race
from guardiannest.errors import ApplicationError, Refusal
from payments.models import LedgerAccount, LedgerEntry, LedgerKind, Payment, PaymentStatus, Refund
from payments.selectors import ledger_balances
from payments.services import customer_for, payment_authorise, payment_capture, payment_refund, payment_release
from payments.tests.helpers import notices_sent
from payments.tests.sides import Side


def _authorised(side: Side, parent: User, sitter: User, amount: int = 5000) -> Payment:
    side.card_save(customer_for(parent=parent).provider_customer_id)
    payment = payment_authorise(payer=parent, payee=sitter, amount=amount, reference="booking-1", actor=sitter)
    assert payment.status == PaymentStatus.AUTHORISED
    return payment


def _ledger(payment: Payment) -> list[tuple[str, str, int]]:
    return sorted(LedgerEntry.objects.filter(payment=payment).values_list("kind", "account", "amount"))


@pytest.mark.django_db
def test_capture_takes_the_final_amount_keeps_the_fee_and_releases_the_rest(
    side: Side, parent: User, sitter: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PLATFORM_FEE_PERCENT = 15
    payment = _authorised(side, parent, sitter)

    with django_capture_on_commit_callbacks() as callbacks:
        captured = payment_capture(payment=payment, amount=4001, actor=parent)

    assert (captured.status, captured.captured_amount, captured.fee_amount) == ("captured", 4001, 600)
    balances = ledger_balances(payment=payment)
    assert balances[LedgerAccount.PARENT_CARD_HOLD] == 0
    assert balances[LedgerAccount.PROVIDER_CLEARING] == 4001
    assert (balances[LedgerAccount.SITTER_PAYABLE], balances[LedgerAccount.PLATFORM_FEES]) == (-3401, -600)
    assert notices_sent(callbacks) == [(str(payment.pk), "captured")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "code", "refusal"),
    [(5001, "capture_exceeds_authorisation", Refusal.INVALID), (0, "invalid", Refusal.INVALID)],
)
def test_a_capture_outside_the_authorisation_is_refused_and_moves_nothing(
    side: Side, parent: User, sitter: User, amount: int, code: str, refusal: Refusal
) -> None:
    payment = _authorised(side, parent, sitter)
    before = _ledger(payment)

    with pytest.raises(ApplicationError) as refused:
        payment_capture(payment=payment, amount=amount, actor=parent)

    assert (refused.value.code, refused.value.refusal) == (code, refusal)
    assert _ledger(payment) == before
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED
    assert side.provider.intent_retrieve(intent_id=str(payment.provider_intent_id)).status == "requires_capture"


@pytest.mark.django_db
def test_a_capture_on_a_released_authorisation_is_a_conflict(side: Side, parent: User, sitter: User) -> None:
    payment = payment_release(payment=_authorised(side, parent, sitter), actor=parent)
    before = _ledger(payment)

    with pytest.raises(ApplicationError) as refused:
        payment_capture(payment=payment, amount=100, actor=parent)

    assert (refused.value.code, refused.value.refusal) == ("payment_not_authorised", Refusal.CONFLICT)
    assert _ledger(payment) == before


@pytest.mark.django_db
def test_refunds_in_parts_give_back_the_capture_and_the_fee_exactly(
    side: Side, parent: User, sitter: User, settings: Any
) -> None:
    settings.PLATFORM_FEE_PERCENT = 15
    payment = payment_capture(payment=_authorised(side, parent, sitter), amount=3333, actor=parent)

    first = payment_refund(payment=payment, amount=1000, actor=parent)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount, first.amount) == ("partially_refunded", 1000, 1000)
    last = payment_refund(payment=payment, amount=None, actor=parent)  # the rest

    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount, last.amount) == ("refunded", 3333, 2333)
    assert {value for account, value in ledger_balances(payment=payment).items() if account != "parent_card"} == {0}
    assert Refund.objects.filter(payment=payment).count() == 2


@pytest.mark.django_db
def test_a_refund_above_what_was_captured_is_refused_and_moves_nothing(side: Side, parent: User, sitter: User) -> None:
    payment = payment_capture(payment=_authorised(side, parent, sitter), amount=3000, actor=parent)
    payment_refund(payment=payment, amount=2000, actor=parent)
    before = _ledger(payment)

    with pytest.raises(ApplicationError) as refused:
        payment_refund(payment=payment, amount=1001, actor=parent)

    assert (refused.value.code, refused.value.refusal) == ("refund_exceeds_captured", Refusal.INVALID)
    assert _ledger(payment) == before
    assert Refund.objects.filter(payment=payment).count() == 1


@pytest.mark.django_db
def test_nothing_captured_nothing_refunded(side: Side, parent: User, sitter: User) -> None:
    with pytest.raises(ApplicationError) as refused:
        payment_refund(payment=_authorised(side, parent, sitter), amount=None, actor=parent)

    assert (refused.value.code, refused.value.refusal) == ("payment_not_captured", Refusal.CONFLICT)


# --- races: the row lock makes the provider see one operation -------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_captures_capture_once(localstripe: Any, parent: User, sitter: User) -> None:
    payment = _authorised(Side("stripe", localstripe), parent, sitter)

    results = race(20, lambda: payment_capture(payment=payment, amount=4000, actor=parent))

    captured = [result for result in results if isinstance(result, Payment)]
    refused = [result for result in results if isinstance(result, ApplicationError)]
    assert len(captured) == 1 and len(refused) == 19, results
    assert {error.code for error in refused} == {"payment_not_authorised"}
    assert (
        LedgerEntry.objects.filter(payment=payment, kind=LedgerKind.CAPTURE, account="provider_clearing").count() == 1
    )
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount) == ("captured", 4000)


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_full_refunds_refund_once(localstripe: Any, parent: User, sitter: User) -> None:
    payment = payment_capture(
        payment=_authorised(Side("stripe", localstripe), parent, sitter), amount=4000, actor=parent
    )

    results = race(20, lambda: payment_refund(payment=payment, amount=None, actor=parent))

    assert len([result for result in results if isinstance(result, Refund)]) == 1, results
    assert {result.code for result in results if isinstance(result, ApplicationError)} == {"payment_not_captured"}
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", 4000)
    assert Refund.objects.filter(payment=payment).count() == 1
    assert LedgerEntry.objects.filter(payment=payment, kind=LedgerKind.REFUND, account="provider_clearing").count() == 1
