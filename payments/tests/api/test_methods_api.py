"""Saved cards over the API: setup, list, remove; parents only; another parent's card is 404."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from conftest import client_for
from payments.models import PaymentCustomer, PaymentMethod
from payments.services import customer_for, payment_methods_sync
from payments.tests.sides import Side

pytestmark = pytest.mark.django_db


def test_setup_answers_a_client_secret_and_makes_one_customer_per_parent(side: Side, parent_api: APIClient) -> None:
    first = parent_api.post("/api/v1/payments/methods/setup")
    second = parent_api.post("/api/v1/payments/methods/setup/")  # the same path with a slash

    assert first.status_code == second.status_code == 200, first.content
    assert "_secret_" in first.json()["client_secret"]
    assert first.json()["client_secret"] != second.json()["client_secret"]
    assert PaymentCustomer.objects.filter(provider=side.name).count() == 1


def test_in_the_embedded_default_a_parent_has_a_test_card_from_the_first_setup(parent_api: APIClient) -> None:
    assert parent_api.get("/api/v1/payments/methods").json()["results"] == []

    parent_api.post("/api/v1/payments/methods/setup")

    assert [method["last4"] for method in parent_api.get("/api/v1/payments/methods").json()["results"]] == ["4242"]


def test_a_saved_card_is_listed_and_removed(side: Side, parent: User, parent_api: APIClient) -> None:
    customer = customer_for(parent=parent)
    card_id = side.card_save(customer.provider_customer_id)
    payment_methods_sync(customer=customer)  # what the provider's setup_intent.succeeded event triggers
    listed = parent_api.get("/api/v1/payments/methods").json()["results"]
    mine = next(
        method for method in listed if method["id"] == str(PaymentMethod.objects.get(provider_method_id=card_id).pk)
    )
    assert (mine["brand"], mine["last4"], mine["exp_month"]) == ("visa", "4242", 12)

    response = parent_api.delete(f"/api/v1/payments/methods/{mine['id']}")

    assert response.status_code == 204
    assert card_id not in [card.id for card in side.provider.cards_list(customer_id=customer.provider_customer_id)]
    assert mine["id"] not in [method["id"] for method in parent_api.get("/api/v1/payments/methods").json()["results"]]


def test_another_parents_card_is_not_found_and_stays(parent: User, other_parent: User) -> None:
    customer = customer_for(parent=parent)
    method = payment_methods_sync(customer=customer)[0]  # the simulated provider's test card

    response = client_for(other_parent).delete(f"/api/v1/payments/methods/{method.pk}")

    assert_problem(response, 404, "not_found")
    assert PaymentMethod.objects.filter(pk=method.pk).exists()
    assert method.pk not in [
        m["id"] for m in client_for(other_parent).get("/api/v1/payments/methods").json()["results"]
    ]


@pytest.mark.parametrize("url", ["/api/v1/payments/methods/setup", "/api/v1/payments/methods"])
def test_cards_are_for_parents(sitter_api: APIClient, url: str) -> None:
    response = sitter_api.post(url) if url.endswith("setup") else sitter_api.get(url)

    assert_problem(response, 403, "permission_denied")


def test_setup_with_the_provider_out_of_reach_is_503(localstripe: Any, parent_api: APIClient, settings: Any) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard: nothing answers

    assert_problem(parent_api.post("/api/v1/payments/methods/setup"), 503, "payment_provider_unavailable")
