"""The money rules the database keeps on its own, whatever code writes the rows."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from payments.models import LedgerEntry, PaymentStatus
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": 0},
        {"amount": -1},
        {"status": PaymentStatus.CAPTURED, "captured_amount": 6000},  # above the authorisation
        {"status": PaymentStatus.PARTIALLY_REFUNDED, "captured_amount": 3000, "refunded_amount": 3001},
        {"status": PaymentStatus.CAPTURED, "captured_amount": 0},  # captured needs money taken
        {"status": PaymentStatus.AUTHORISED, "captured_amount": 100},  # money taken needs a settled status
        {"status": PaymentStatus.CAPTURED, "captured_amount": 3000, "refunded_amount": 10},
        {"status": PaymentStatus.REFUNDED, "captured_amount": 3000, "refunded_amount": 2000},
        {"status": PaymentStatus.PARTIALLY_REFUNDED, "captured_amount": 3000, "refunded_amount": 3000},
        {"status": PaymentStatus.CAPTURED, "captured_amount": 3000, "fee_amount": 3001},
        {"status": "pending"},
    ],
)
def test_the_database_refuses_inconsistent_amounts(fields: dict) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(**fields)


def test_consistent_settled_payments_are_accepted() -> None:
    PaymentFactory(status=PaymentStatus.CAPTURED, captured_amount=3000, fee_amount=450)
    PaymentFactory(status=PaymentStatus.PARTIALLY_REFUNDED, captured_amount=3000, refunded_amount=1)
    PaymentFactory(status=PaymentStatus.REFUNDED, captured_amount=3000, refunded_amount=3000)


def test_one_reference_has_one_open_payment_but_may_start_again_after_release() -> None:
    first = PaymentFactory(reference="booking-1", status=PaymentStatus.AUTHORISED)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(reference="booking-1")

    first.status = PaymentStatus.RELEASED
    first.save()
    PaymentFactory(reference="booking-1")


@pytest.mark.parametrize("fields", [{"amount": 0}, {"amount": -5}, {"side": "both"}, {"account": "cash"}])
def test_ledger_rows_need_a_positive_amount_and_known_account_and_side(fields: dict) -> None:
    payment = PaymentFactory()
    row = {"transaction_id": "00000000-0000-4000-8000-000000000001", "kind": "capture", "payment": payment}
    row |= {"account": "platform_fees", "side": "debit", "amount": 1, "currency": "eur"} | fields
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(**row)
