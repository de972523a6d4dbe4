"""One idempotency key per logical operation reaches Stripe, and a retry after a lost commit moves no money twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from accounts.models import User
from payments.models import Payment, PaymentStatus
from payments.services import customer_for, payment_authorise, payment_capture, payment_refund
from payments.tests.stripe_app import LocalStripe
from payments.tests.stripe_proxy import IdempotencyProxy, serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def proxy(localstripe: LocalStripe, settings: Any) -> Iterator[IdempotencyProxy]:
    proxy, server = serve(localstripe.base)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield proxy
    server.shutdown()
    server.server_close()


class LostCommit(Exception):
    """The process died after the provider answered and before our transaction committed."""


def _authorised(localstripe: LocalStripe, parent: User, sitter: User) -> Payment:
    localstripe.card_save(customer_for(parent=parent).provider_customer_id)
    return payment_authorise(payer=parent, payee=sitter, amount=5000, reference="booking-1", actor=sitter)


def test_every_call_that_moves_money_carries_the_key_of_its_operation(
    proxy: IdempotencyProxy, localstripe: LocalStripe, parent: User, sitter: User
) -> None:
    payment = _authorised(localstripe, parent, sitter)
    payment_capture(payment=payment, amount=4000, actor=parent)
    payment_refund(payment=payment, amount=1000, actor=parent)
    payment_refund(payment=payment, amount=1000, actor=parent)

    keys = [item.key for item in proxy.seen if item.method == "POST"]
    assert keys == [
        f"customer:{parent.pk}",
        f"payment:{payment.pk}:authorise:1",
        f"payment:{payment.pk}:capture",
        f"payment:{payment.pk}:refund:1",
        f"payment:{payment.pk}:refund:2",
    ]


def test_a_capture_retried_after_a_lost_commit_is_replayed_not_captured_again(
    proxy: IdempotencyProxy, localstripe: LocalStripe, parent: User, sitter: User
) -> None:
    payment = _authorised(localstripe, parent, sitter)
    with pytest.raises(LostCommit), transaction.atomic():
        payment_capture(payment=payment, amount=4000, actor=parent)
        raise LostCommit
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORISED  # our side forgot; Stripe captured

    captured = payment_capture(payment=payment, amount=4000, actor=parent)

    assert (captured.status, captured.captured_amount) == ("captured", 4000)
    assert len(proxy.forwarded("/capture")) == 1  # the retry was answered from the key, not captured again
    assert len([item for item in proxy.seen if "/capture" in item.path]) == 2


def test_a_refund_retried_after_a_lost_commit_refunds_once(
    proxy: IdempotencyProxy, localstripe: LocalStripe, parent: User, sitter: User
) -> None:
    payment = payment_capture(payment=_authorised(localstripe, parent, sitter), amount=4000, actor=parent)
    with pytest.raises(LostCommit), transaction.atomic():
        payment_refund(payment=payment, amount=1500, actor=parent)
        raise LostCommit

    payment_refund(payment=payment, amount=1500, actor=parent)

    assert len(proxy.forwarded("/v1/refunds")) == 1
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 1500)
