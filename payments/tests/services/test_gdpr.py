"""GDPR for payments: a copy of what we hold, and an erasure that keeps the money records without the person."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from accounts.models import User
from accounts.services.gdpr import user_erase_confirmed
from guardiannest.registries import gdpr_erasers, gdpr_exporters
from payments.models import LedgerEntry, Payment, PaymentMethod, Refund, Transfer
from payments.services import customer_for, payment_refund, transfer_settle
from payments.tasks import payment_customer_forget_task
from payments.tests.payout_helpers import captured, onboarded
from payments.tests.stripe_app import LocalStripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(parent: User, sitter: User, settings: Any) -> Payment:
    settings.PLATFORM_FEE_PERCENT = 10
    onboarded(sitter)
    payment = captured(parent, sitter, reference="booking-1")  # 4000, fee 400
    transfer_settle(payment=payment)
    payment_refund(payment=payment, amount=1000, actor=parent)
    transfer_settle(payment=payment)  # the sitter's part of the refund taken back
    return payment


def test_payments_registers_an_exporter_and_an_eraser() -> None:
    assert "payments" in dict(gdpr_exporters.items())
    assert "payments" in dict(gdpr_erasers.items())


def test_the_parents_copy_has_their_payments_refunds_and_cards_brand_and_last4_only(
    history: Payment, parent: User
) -> None:
    exported = dict(gdpr_exporters.items())["payments"](parent)

    [payment] = exported["payments"]
    assert (payment["booking_id"], payment["captured_amount"], payment["refunded_amount"]) == ("booking-1", 4000, 1000)
    assert [(refund["amount"], refund["status"]) for refund in payment["refunds"]] == [(1000, "succeeded")]
    assert exported["payment_methods"] == [{"brand": "visa", "last4": "4242"}]
    assert (exported["earnings"], exported["transfers"], exported["payout_accounts"]) == ([], [], [])


def test_the_sitters_copy_has_their_earnings_transfers_and_payout_account(history: Payment, sitter: User) -> None:
    exported = dict(gdpr_exporters.items())["payments"](sitter)

    [earning] = exported["earnings"]
    assert (earning["booking_id"], earning["earning"]) == ("booking-1", 3000 - 300)
    [transfer] = exported["transfers"]
    assert (transfer["amount"], transfer["reversed_amount"], transfer["status"]) == (3600, 900, "paid")
    assert exported["payout_accounts"][0]["payouts_enabled"] is True
    assert exported["payments"] == [] and exported["payment_methods"] == []


def test_erasure_keeps_every_money_record_on_the_anonymised_user_and_forgets_the_cards(
    history: Payment, parent: User, sitter: User
) -> None:
    ledger_before = LedgerEntry.objects.count()
    customer = customer_for(parent=parent)
    assert PaymentMethod.objects.filter(customer=customer).exists()

    user_erase_confirmed(user=parent)
    user_erase_confirmed(user=sitter)

    history.refresh_from_db()
    assert (history.amount, history.captured_amount, history.refunded_amount) == (5000, 4000, 1000)
    assert history.payer.email == f"erased-{parent.pk}@invalid" and history.payer.first_name == ""
    assert history.payee.email == f"erased-{sitter.pk}@invalid"
    assert Refund.objects.filter(payment=history).count() == 1
    assert Transfer.objects.get(payment=history).amount == 3600
    assert LedgerEntry.objects.count() == ledger_before
    assert not PaymentMethod.objects.filter(customer=customer).exists()
    assert dict(gdpr_exporters.items())["payments"](parent)["payment_methods"] == []


def test_erasure_is_harmless_for_someone_without_payments(other_parent: User) -> None:
    dict(gdpr_erasers.items())["payments"](other_parent)

    assert dict(gdpr_exporters.items())["payments"](other_parent) == {
        "payments": [],
        "payment_methods": [],
        "earnings": [],
        "transfers": [],
        "payout_accounts": [],
    }


def test_after_erasure_the_customer_is_deleted_at_stripe_once(
    localstripe: LocalStripe, parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    customer = customer_for(parent=parent)
    localstripe.card_save(customer.provider_customer_id)
    url = f"{localstripe.base}/v1/customers/{customer.provider_customer_id}"

    with django_capture_on_commit_callbacks() as callbacks:
        user_erase_confirmed(user=parent)
    forget = [cb.args for cb in callbacks if getattr(cb, "func", None) == payment_customer_forget_task.delay]
    assert forget == [(customer.pk,)]
    assert requests.get(url, auth=(localstripe.key, ""), timeout=5).status_code == 200  # nothing before the task

    assert payment_customer_forget_task.run(customer.pk) is True
    assert payment_customer_forget_task.run(customer.pk) is True  # again: already gone, fine

    assert requests.get(url, auth=(localstripe.key, ""), timeout=5).status_code == 404
