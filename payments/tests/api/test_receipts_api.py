"""Receipts: an email for each capture and refund, and the printable page its signed link opens without sign-in."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from rest_framework.test import APIClient

from accounts.models import User
from messaging.models import Delivery
from messaging.tasks import deliver
from payments.models import Payment
from payments.services import payment_authorise, payment_capture, payment_refund

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://localhost:8000(/api/v1/payments/[0-9a-f-]+/receipt\?signature=[\w:-]+)")


def _authorised(parent: User, sitter: User, reference: str = "booking-1") -> Payment:
    return payment_authorise(payer=parent, payee=sitter, amount=5000, reference=reference, actor=sitter)


def _emails(user: User, kind: str) -> list[Any]:
    """Send the user's pending emails of ``kind`` (what the worker does) and answer what reached the mailbox."""
    for delivery in Delivery.objects.filter(notification__user=user, notification__kind=kind, channel="email"):
        assert deliver.apply(args=[str(delivery.pk)]).get() == "sent"
    return [message for message in mail.outbox if message.to == [user.email]]


def _open(path: str) -> Any:
    return APIClient().get(path)  # nobody signed in


def test_a_capture_emails_a_receipt_whose_link_opens_the_printable_page(parent: User, sitter: User) -> None:
    payment = payment_capture(payment=_authorised(parent, sitter), amount=5000, actor=None)

    [email] = _emails(parent, "payment.receipt")

    assert email.subject == "Your receipt for 50.00 EUR"
    match = LINK.search(email.body)
    assert match is not None and str(payment.pk) in match.group(1)
    assert match.group(0) in email.alternatives[0][0].replace("&amp;", "&")
    page = _open(match.group(1))
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "50.00 EUR" in html and "booking-1" in html and "@media print" in html
    assert "<script" not in html and "http" not in html.split("<body>")[1]  # no external assets
    # The one inline stylesheet is allowed by its hash; nothing else may load or run.
    style = html.split("<style>")[1].split("</style>")[0]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = page["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert (page["Referrer-Policy"], page["Cache-Control"]) == ("no-referrer", "private, no-store")


def test_a_refund_emails_the_parent_and_the_receipt_shows_it(parent: User, sitter: User) -> None:
    payment = payment_capture(payment=_authorised(parent, sitter), amount=5000, actor=None)

    payment_refund(payment=payment, amount=1250, actor=None)

    [email] = _emails(parent, "payment.refund")
    assert email.subject == "Refund of 12.50 EUR"
    match = LINK.search(email.body)
    assert match is not None
    html = _open(match.group(1)).content.decode()
    assert "-12.50 EUR" in html and "37.50 EUR" in html


def test_the_receipt_url_in_the_api_opens_the_receipt_for_the_payer_only(
    parent: User, sitter: User, parent_api: APIClient, sitter_api: APIClient
) -> None:
    authorised = _authorised(parent, sitter)
    assert parent_api.get(f"/api/v1/payments/{authorised.pk}").json()["receipt_url"] is None  # nothing taken yet
    payment_capture(payment=authorised, amount=4000, actor=None)

    link = parent_api.get(f"/api/v1/payments/{authorised.pk}").json()["receipt_url"]

    parts = urlsplit(link)
    assert _open(f"{parts.path}?{parts.query}").status_code == 200
    assert sitter_api.get(f"/api/v1/payments/{authorised.pk}").json()["receipt_url"] is None


def _assert_not_found(response: Any) -> None:
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "not_found" in response.content.decode()
    assert "Content-Security-Policy" in response


def test_a_tampered_missing_or_foreign_signature_is_not_found(
    parent: User, sitter: User, other_parent: User, parent_api: APIClient
) -> None:
    mine = payment_capture(payment=_authorised(parent, sitter), amount=5000, actor=None)
    theirs = payment_capture(payment=_authorised(other_parent, sitter, "booking-2"), amount=3000, actor=None)
    link = urlsplit(parent_api.get(f"/api/v1/payments/{mine.pk}").json()["receipt_url"])
    signature = link.query.removeprefix("signature=")

    _assert_not_found(_open(f"{link.path}?signature={signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"))
    _assert_not_found(_open(link.path))
    _assert_not_found(_open(f"{link.path}?signature={'x' * 5000}"))
    # The same signature does not open another payment, whose id one might guess.
    _assert_not_found(_open(f"/api/v1/payments/{theirs.pk}/receipt?signature={signature}"))
    assert "3000" not in _open(f"/api/v1/payments/{theirs.pk}/receipt?signature={signature}").content.decode()


def test_an_expired_link_is_not_found(
    parent: User, sitter: User, parent_api: APIClient, monkeypatch: Any, settings: Any
) -> None:
    settings.PAYMENTS_RECEIPT_LINK_DAYS = 30
    payment = payment_capture(payment=_authorised(parent, sitter), amount=5000, actor=None)
    link = urlsplit(parent_api.get(f"/api/v1/payments/{payment.pk}").json()["receipt_url"])
    issued = signing.time.time()
    path = f"{link.path}?{link.query}"
    monkeypatch.setattr(signing.time, "time", lambda: issued + 29 * 86400)
    assert _open(path).status_code == 200

    monkeypatch.setattr(signing.time, "time", lambda: issued + 31 * 86400)

    _assert_not_found(_open(path))
