"""Other apps hear of their payments through handlers they register; payments never imports them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import User
from payments.handlers import PaymentEvent, PaymentNotice, payment_handlers
from payments.services import payment_authorise, payment_capture
from payments.services.notices import payment_event_deliver
from payments.tests.helpers import notices_sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard() -> Iterator[list[PaymentNotice]]:
    notices: list[PaymentNotice] = []
    payment_handlers.register("test", notices.append)
    yield notices
    payment_handlers.unregister("test")


def test_each_change_is_delivered_after_commit_with_the_payment_as_it_is_then(
    parent: User, sitter: User, heard: list[PaymentNotice], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        payment = payment_authorise(payer=parent, payee=sitter, amount=5000, reference="booking-7", actor=sitter)
        payment_capture(payment=payment, amount=4500, actor=parent)
    assert heard == []  # nothing before the commit
    sent = notices_sent(callbacks)
    assert len(sent) == 2

    for payment_id, event in sent:
        payment_event_deliver(payment_id=payment_id, event=event)

    assert [(notice.event, notice.reference) for notice in heard] == [
        (PaymentEvent.AUTHORISED, "booking-7"),
        (PaymentEvent.CAPTURED, "booking-7"),
    ]
    assert {(notice.status, notice.captured_amount) for notice in heard} == {("captured", 4500)}


def test_a_notice_for_a_missing_payment_reaches_nobody(heard: list[PaymentNotice]) -> None:
    assert payment_event_deliver(payment_id="00000000-0000-4000-8000-000000000000", event="captured") == 0
    assert heard == []
