"""``manage.py serve --port`` points the links it writes (receipts, payout onboarding) at the port it serves."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from guardiannest.embedded import links_follow_served, served_url
from payments.receipts import receipt_url
from payments.services import payment_authorise, payment_capture

pytestmark = pytest.mark.django_db


@pytest.fixture
def embedded_links(settings: Any) -> Any:
    """The embedded default's settings as read without FRONTEND_URL (restored after the test)."""
    settings.DEV_DEFAULTS, settings.FRONTEND_URL_SET = True, False
    settings.FRONTEND_URL = "http://localhost:8000"
    settings.STRIPE_CONNECT_RETURN_URL = "http://localhost:8000/payouts/onboarding/done"
    settings.STRIPE_CONNECT_REFRESH_URL = "https://app.example.com/refresh"  # set explicitly: kept
    return settings


def test_serve_port_moves_receipt_and_onboarding_links(
    embedded_links: Any, parent: User, sitter: User, sitter_api: APIClient
) -> None:
    links_follow_served(host="127.0.0.1", port=8123)

    payment = payment_capture(
        payment=payment_authorise(payer=parent, payee=sitter, amount=5000, reference="booking-1", actor=sitter),
        amount=5000,
        actor=None,
    )
    onboarding = sitter_api.post("/api/v1/payments/payouts/onboarding")

    assert embedded_links.FRONTEND_URL == "http://localhost:8123"
    assert (receipt_url(payment=payment) or "").startswith(f"http://localhost:8123/api/v1/payments/{payment.pk}/")
    assert onboarding.status_code == 200
    assert onboarding.json()["url"].startswith("http://localhost:8123/api/v1/payments/payouts/simulated-onboarding?")
    assert embedded_links.STRIPE_CONNECT_RETURN_URL == "http://localhost:8123/payouts/onboarding/done"
    assert embedded_links.STRIPE_CONNECT_REFRESH_URL == "https://app.example.com/refresh"


def test_a_set_frontend_url_or_a_deployment_is_left_alone(embedded_links: Any) -> None:
    embedded_links.FRONTEND_URL_SET = True
    links_follow_served(host="127.0.0.1", port=8123)
    assert embedded_links.FRONTEND_URL == "http://localhost:8000"

    embedded_links.FRONTEND_URL_SET, embedded_links.DEV_DEFAULTS = False, False
    links_follow_served(host="127.0.0.1", port=8123)
    assert embedded_links.FRONTEND_URL == "http://localhost:8000"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://localhost:8123"),
        ("0.0.0.0", "http://localhost:8123"),
        ("::", "http://localhost:8123"),
        ("10.0.0.5", "http://10.0.0.5:8123"),
        ("fe80::1", "http://[fe80::1]:8123"),
    ],
)
def test_served_url_names_what_a_local_browser_opens(host: str, url: str) -> None:
    assert served_url(host, 8123) == url
