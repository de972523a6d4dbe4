"""Payments over the API: each party sees their own, Money on the wire, refunds by staff only."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from conftest import client_for
from payments.models import Payment, Refund
from payments.providers.simulated import AUTHENTICATE_LAST4, SimulatedProvider
from payments.services import customer_for, payment_authorise, payment_capture, payment_methods_sync, payment_release

pytestmark = pytest.mark.django_db


def _authorised(parent: User, sitter: User, reference: str = "booking-1") -> Payment:
    return payment_authorise(payer=parent, payee=sitter, amount=5000, reference=reference, actor=sitter)


def test_the_parent_sees_the_charge_and_the_sitter_the_earning(
    parent: User, sitter: User, parent_api: APIClient, sitter_api: APIClient, settings: Any
) -> None:
    settings.PLATFORM_FEE_PERCENT = 10
    payment = payment_capture(payment=_authorised(parent, sitter), amount=4000, actor=parent)

    for client, earning in ((parent_api, None), (sitter_api, {"amount": 3600, "currency": "eur"})):
        listed = client.get("/api/v1/payments").json()
        detail = client.get(f"/api/v1/payments/{payment.pk}").json()
        # A receipt link is signed when it is shown (its timestamp may differ by a second between two reads).
        links = [listed["results"][0].pop("receipt_url"), detail.pop("receipt_url")]
        if client is parent_api:
            receipt = f"http://localhost:8000/api/v1/payments/{payment.pk}/receipt?signature="
            assert all(link.startswith(receipt) for link in links)
        else:
            assert links == [None, None]  # the receipt is the payer's
        assert listed["results"] == [detail] and listed["next"] is None
        assert detail == {
            "id": str(payment.pk),
            "booking_id": "booking-1",
            "status": "captured",
            "amount": {"amount": 5000, "currency": "eur"},
            "captured_amount": {"amount": 4000, "currency": "eur"},
            "fee": {"amount": 400, "currency": "eur"},
            "refunded_amount": {"amount": 0, "currency": "eur"},
            "client_secret": None,
            "earning": earning,  # the sitter's share, to the sitter only
            "transfer_status": "accruing" if earning else None,  # no payout account yet
            "created_at": detail["created_at"],
        }


def test_someone_elses_payment_is_not_found(parent: User, sitter: User, other_parent: User, other_sitter: User) -> None:
    payment = _authorised(parent, sitter)

    for intruder in (other_parent, other_sitter):
        client = client_for(intruder)
        assert_problem(client.get(f"/api/v1/payments/{payment.pk}"), 404, "not_found")
        assert client.get("/api/v1/payments").json()["results"] == []


def test_the_client_secret_goes_to_the_payer_only_while_the_bank_asks(
    parent: User, sitter: User, parent_api: APIClient, sitter_api: APIClient
) -> None:
    customer = customer_for(parent=parent)
    SimulatedProvider().card_add(customer_id=customer.provider_customer_id, last4=AUTHENTICATE_LAST4)
    payment_methods_sync(customer=customer)  # the newest card pays
    payment = _authorised(parent, sitter)
    assert payment.status == "requires_action"

    assert parent_api.get(f"/api/v1/payments/{payment.pk}").json()["client_secret"] == payment.client_secret
    assert sitter_api.get(f"/api/v1/payments/{payment.pk}").json()["client_secret"] is None


def test_staff_refund_part_then_the_rest(parent: User, sitter: User, staff_api: APIClient) -> None:
    payment = payment_capture(payment=_authorised(parent, sitter), amount=4000, actor=parent)
    url = f"/api/v1/payments/{payment.pk}/refund"

    partly = staff_api.post(url, {"amount": {"amount": 1500, "currency": "eur"}}, format="json")
    assert partly.status_code == 200, partly.content
    assert (partly.json()["status"], partly.json()["refunded_amount"]["amount"]) == ("partially_refunded", 1500)

    rest = staff_api.post(url, {}, format="json")
    assert (rest.json()["status"], rest.json()["refunded_amount"]["amount"]) == ("refunded", 4000)
    assert list(Refund.objects.filter(payment=payment).order_by("created_at").values_list("amount", flat=True)) == [
        1500,
        2500,
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": {"amount": 4001, "currency": "eur"}}, 400, "refund_exceeds_captured"),
        ({"amount": {"amount": 100, "currency": "usd"}}, 400, "invalid"),
        ({"amount": {"amount": 0, "currency": "eur"}}, 400, "amount_invalid"),
        ({"amount": 100}, 400, "invalid"),
        ({"reason": "x"}, 400, "invalid"),
    ],
)
def test_a_refund_the_rules_refuse_moves_no_money(
    parent: User, sitter: User, staff_api: APIClient, body: dict, status: int, code: str
) -> None:
    payment = payment_capture(payment=_authorised(parent, sitter), amount=4000, actor=parent)

    assert_problem(staff_api.post(f"/api/v1/payments/{payment.pk}/refund", body, format="json"), status, code)

    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("captured", 0)


def test_refunding_a_released_payment_is_a_conflict(parent: User, sitter: User, staff_api: APIClient) -> None:
    payment = payment_release(payment=_authorised(parent, sitter), actor=parent)

    assert_problem(
        staff_api.post(f"/api/v1/payments/{payment.pk}/refund", {}, format="json"), 409, "payment_not_captured"
    )


@pytest.mark.parametrize("persona", ["parent", "sitter"])
def test_refunds_are_for_staff(request: pytest.FixtureRequest, persona: str, parent: User, sitter: User) -> None:
    payment = payment_capture(payment=_authorised(parent, sitter), amount=4000, actor=parent)

    response = client_for(request.getfixturevalue(persona)).post(
        f"/api/v1/payments/{payment.pk}/refund", {}, format="json"
    )

    assert_problem(response, 403, "permission_denied")
    assert not Refund.objects.exists()


def test_a_refund_for_an_unknown_payment_is_not_found(staff_api: APIClient) -> None:
    response = staff_api.post("/api/v1/payments/00000000-0000-4000-8000-000000000000/refund", {}, format="json")

    assert_problem(response, 404, "not_found")


def test_a_repeated_idempotency_key_refunds_once(parent: User, sitter: User, staff_api: APIClient) -> None:
    payment = payment_capture(payment=_authorised(parent, sitter), amount=4000, actor=parent)
    url, body = f"/api/v1/payments/{payment.pk}/refund", {"amount": {"amount": 1000, "currency": "eur"}}

    first = staff_api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")
    again = staff_api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")

    assert first.json() == again.json()
    assert Refund.objects.filter(payment=payment).count() == 1
