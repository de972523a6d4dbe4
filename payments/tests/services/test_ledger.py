"""The one ledger writer: it writes balanced transactions only, and nothing ever changes a written line."""

from __future__ import annotations

import pytest

from payments.models import LedgerAccount, LedgerEntry, LedgerKind
from payments.selectors import ledger_balances
from payments.services.ledger import LedgerUnbalanced, capture_lines, credit, debit, ledger_post, refund_lines
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def test_a_balanced_transaction_is_written_under_one_id_without_zero_lines() -> None:
    payment = PaymentFactory(amount=5000)

    transaction_id = ledger_post(
        payment=payment, kind=LedgerKind.CAPTURE, lines=capture_lines(authorised=5000, captured=4000, fee=0)
    )

    rows = LedgerEntry.objects.filter(transaction_id=transaction_id)
    assert rows.count() == 4  # the zero fee line is left out
    assert {row.payment_id for row in rows} == {payment.pk}
    balances = ledger_balances(payment=payment)
    assert balances[LedgerAccount.PARENT_CARD_HOLD] == -5000  # closing a hold this test never opened
    assert balances[LedgerAccount.SITTER_PAYABLE] == -4000
    assert sum(balances.values()) == 0


@pytest.mark.parametrize(
    "lines",
    [
        [debit(LedgerAccount.PROVIDER_CLEARING, 100), credit(LedgerAccount.SITTER_PAYABLE, 99)],
        [debit(LedgerAccount.PROVIDER_CLEARING, 100)],
        [],
        [debit(LedgerAccount.PROVIDER_CLEARING, -100), credit(LedgerAccount.SITTER_PAYABLE, -100)],
        refund_lines(amount=100, fee_share=101),  # a fee share above the refund makes a negative line
    ],
)
def test_an_unbalanced_or_empty_transaction_is_refused_and_nothing_is_written(lines: list) -> None:
    payment = PaymentFactory()

    with pytest.raises(LedgerUnbalanced):
        ledger_post(payment=payment, kind=LedgerKind.REFUND, lines=lines)

    assert not LedgerEntry.objects.exists()


def test_written_lines_cannot_be_changed_or_deleted() -> None:
    payment = PaymentFactory()
    ledger_post(
        payment=payment,
        kind=LedgerKind.AUTHORISATION,
        lines=[debit(LedgerAccount.PARENT_CARD_HOLD, 10), credit(LedgerAccount.PARENT_CARD, 10)],
    )
    entry = LedgerEntry.objects.first()
    assert entry is not None

    entry.amount = 11
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=11)
    with pytest.raises(TypeError):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 10
