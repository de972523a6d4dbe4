"""Sitter payouts over HTTP: the onboarding link, the balance, earnings in GET payments, account.updated webhooks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from conftest import client_for
from payments.models import ConnectedAccount, ProviderEvent, Transfer
from payments.services import connected_account_for, transfer_settle
from payments.tasks import payouts_release_task
from payments.tests.payout_helpers import captured, onboarded
from payments.tests.stripe_app import signed_event
from payments.tests.stripe_connect import Connect

pytestmark = pytest.mark.django_db
ONBOARDING, BALANCE = "/api/v1/payments/payouts/onboarding", "/api/v1/payments/payouts/balance"


def test_a_sitter_gets_an_onboarding_link_and_one_account(
    connect: Connect, sitter: User, sitter_api: APIClient
) -> None:
    first = sitter_api.post(ONBOARDING)
    again = sitter_api.post(ONBOARDING)

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["url"].startswith("https://connect.stripe.test/setup/e/acct_")
    assert first.json()["onboarding_complete"] is False
    assert first.json()["url"] != again.json()["url"]  # single-use links: a fresh one each time
    assert ConnectedAccount.objects.filter(user=sitter).count() == 1
    assert len(connect.stand.accounts) == 1


@pytest.mark.parametrize("persona", ["parent", "staff"])
def test_only_sitters_onboard_or_see_a_balance(request: pytest.FixtureRequest, persona: str) -> None:
    client = client_for(request.getfixturevalue(persona))

    assert_problem(client.post(ONBOARDING), 403, "permission_denied")
    assert_problem(client.get(BALANCE), 403, "permission_denied")
    assert not ConnectedAccount.objects.exists()


def test_signed_out_is_401(api: APIClient) -> None:
    assert_problem(api.post(ONBOARDING), 401)
    assert_problem(api.get(BALANCE), 401)


def test_the_balance_is_money_available_and_pending(
    parent: User, sitter: User, sitter_api: APIClient, settings: Any
) -> None:
    settings.PLATFORM_FEE_PERCENT = 10
    assert sitter_api.get(BALANCE).json() == {
        "available": {"amount": 0, "currency": "eur"},
        "pending": {"amount": 0, "currency": "eur"},
    }
    payment = captured(parent, sitter, reference="booking-1")  # 4000 captured, 400 fee: 3600 accrues
    assert sitter_api.get(BALANCE).json()["pending"] == {"amount": 3600, "currency": "eur"}

    onboarded(sitter)
    transfer_settle(payment=payment)

    assert sitter_api.get(BALANCE).json() == {
        "available": {"amount": 3600, "currency": "eur"},
        "pending": {"amount": 0, "currency": "eur"},
    }


def test_a_sitter_lists_their_own_earnings_only(
    parent: User, sitter: User, other_sitter: User, sitter_api: APIClient, settings: Any
) -> None:
    settings.PLATFORM_FEE_PERCENT = 10
    mine = captured(parent, sitter, reference="booking-1")
    theirs = captured(parent, other_sitter, reference="booking-2")
    onboarded(sitter)
    transfer_settle(payment=mine)

    listed = sitter_api.get("/api/v1/payments").json()["results"]

    assert [row["id"] for row in listed] == [str(mine.pk)]
    [row] = listed
    assert {key: row[key] for key in ("booking_id", "status", "fee", "refunded_amount", "receipt_url")} == {
        "booking_id": "booking-1",
        "status": "captured",
        "fee": {"amount": 400, "currency": "eur"},
        "refunded_amount": {"amount": 0, "currency": "eur"},
        "receipt_url": None,
    }
    assert (row["earning"], row["transfer_status"]) == ({"amount": 3600, "currency": "eur"}, "paid")
    assert_problem(sitter_api.get(f"/api/v1/payments/{theirs.pk}"), 404, "not_found")
    assert client_for(other_sitter).get("/api/v1/payments").json()["results"][0]["transfer_status"] == "accruing"


# --- the simulated provider's onboarding page (embedded default) --------------------------------------------


def test_the_simulated_onboarding_page_completes_onboarding_and_releases_earnings(
    parent: User, sitter: User, sitter_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    captured(parent, sitter)
    url = sitter_api.post(ONBOARDING).json()["url"]
    page = urlsplit(url)
    local = f"{page.path}?{page.query}"
    browser = APIClient()  # the link opens in a browser, signed out

    shown = browser.get(local)
    assert shown.status_code == 200 and b"Complete onboarding" in shown.content
    with django_capture_on_commit_callbacks() as callbacks:
        done = browser.post(local)

    assert done.status_code == 200 and b"Onboarding is complete" in done.content
    account = ConnectedAccount.objects.get(user=sitter)
    assert account.payouts_ready and account.onboarded_at is not None
    releases = [cb.args for cb in callbacks if getattr(cb, "func", None) == payouts_release_task.delay]
    assert releases == [(account.pk,)]
    assert sitter_api.post(ONBOARDING).json()["onboarding_complete"] is True


def test_a_forged_simulated_onboarding_link_is_not_found(sitter: User, sitter_api: APIClient) -> None:
    url = sitter_api.post(ONBOARDING).json()["url"]
    page = urlsplit(url)

    assert APIClient().post(f"{page.path}?{page.query}x").status_code == 404
    assert APIClient().get(page.path).status_code == 404
    assert not ConnectedAccount.objects.get(user=sitter).payouts_ready


def test_the_simulated_onboarding_page_does_not_exist_with_stripe(connect: Connect, sitter_api: APIClient) -> None:
    assert APIClient().get("/api/v1/payments/payouts/simulated-onboarding?token=x").status_code == 404


# --- account.updated, signed as Stripe signs ------------------------------------------------------------------


def _send(payload: bytes, signature: str) -> Any:
    return APIClient().post(
        "/api/v1/payments/webhooks/stripe", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def test_account_updated_records_onboarding_once_and_releases_earnings(
    connect: Connect, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    captured(parent, sitter, connect=connect)
    account = connected_account_for(sitter=sitter)
    connect.stand.complete(account.provider_account_id)
    # The payload claims nothing we trust: the handler re-reads the account from Stripe.
    obj = {"id": account.provider_account_id, "object": "account", "payouts_enabled": False}
    payload, signature = signed_event("account.updated", obj, event_id="evt_acct_1")

    with django_capture_on_commit_callbacks() as callbacks:
        first = _send(payload, signature)
    again = _send(payload, signature)

    assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
    assert again.json() == {"received": True, "duplicate": True}
    account.refresh_from_db()
    assert (account.details_submitted, account.charges_enabled, account.payouts_enabled) == (True, True, True)
    assert ProviderEvent.objects.get(event_id="evt_acct_1").handled
    assert [cb.args for cb in callbacks if getattr(cb, "func", None) == payouts_release_task.delay] == [(account.pk,)]
    # the worker runs the release: the accrued earning goes out, once
    assert payouts_release_task.run(account.pk) == 1
    assert payouts_release_task.run(account.pk) == 0
    assert Transfer.objects.get().status == "paid"


def test_account_updated_with_a_bad_signature_changes_nothing(connect: Connect, sitter: User) -> None:
    account = connected_account_for(sitter=sitter)
    connect.stand.complete(account.provider_account_id)
    payload, _ = signed_event("account.updated", {"id": account.provider_account_id, "object": "account"})
    _, wrong = signed_event("account.updated", {"id": account.provider_account_id}, secret="whsec_other")

    assert_problem(_send(payload, wrong), 400, "webhook_signature_invalid")

    account.refresh_from_db()
    assert not account.payouts_ready


def test_account_updated_signed_with_the_connect_endpoint_secret_is_accepted(
    connect: Connect, sitter: User, settings: Any
) -> None:
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect_endpoint"
    account = connected_account_for(sitter=sitter)
    connect.stand.complete(account.provider_account_id)
    obj = {"id": account.provider_account_id, "object": "account"}

    assert _send(*signed_event("account.updated", obj, secret="whsec_connect_endpoint")).status_code == 200

    account.refresh_from_db()
    assert account.payouts_ready
