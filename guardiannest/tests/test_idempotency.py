"""Idempotency-Key: one logical operation per key, whatever the client retries."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from conftest import client_for, race
from guardiannest.api.idempotency import idempotency_purge_expired
from guardiannest.api.models import IdempotencyRecord
from guardiannest.tests import urls as test_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls("guardiannest.tests.urls")]

URL = "/api/v1/test/things"


def test_same_key_and_body_returns_the_first_answer(parent_api: APIClient) -> None:
    # given
    first = parent_api.post(URL, {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    # when
    second = parent_api.post(URL, {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    # then
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert User.objects.filter(email="a@example.com").count() == 1


def test_same_key_other_body_is_422_and_runs_nothing(parent_api: APIClient) -> None:
    parent_api.post(URL, {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = parent_api.post(URL, {"email": "b@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert not User.objects.filter(email="b@example.com").exists()


def test_keys_belong_to_one_user(parent: User, other_parent: User) -> None:
    first = client_for(parent).post(URL, {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    second = client_for(other_parent).post(
        URL, {"email": "b@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    assert first.status_code == second.status_code == 201
    assert second.json()["email"] == "b@example.com"


def test_without_a_key_every_call_runs(parent_api: APIClient) -> None:
    assert parent_api.post(URL, {"email": "a@example.com"}, format="json").status_code == 201
    assert parent_api.post(URL, {"email": "b@example.com"}, format="json").status_code == 201


def test_a_refusal_is_remembered_too(parent_api: APIClient) -> None:
    test_urls.calls["count"] = 0
    body = {"email": "a@example.com", "fail": "conflict"}
    first = parent_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    second = parent_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert first.status_code == second.status_code == 409
    assert second.json()["code"] == "thing_conflict"
    assert second["Content-Type"].startswith("application/problem+json")
    assert test_urls.calls["count"] == 1


def test_a_server_error_gives_the_key_back(parent_api: APIClient) -> None:
    body = {"email": "a@example.com", "fail": "crash"}
    assert parent_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-3").status_code == 500
    assert not IdempotencyRecord.objects.filter(key="k-3").exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "tab\there"])
def test_malformed_keys_are_400(parent_api: APIClient, key: str) -> None:
    response = parent_api.post(URL, {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not User.objects.filter(email="a@example.com").exists()


def test_an_expired_key_may_be_used_again(parent_api: APIClient) -> None:
    parent_api.post(URL, {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    response = parent_api.post(URL, {"email": "b@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert response.status_code == 201
    assert response.json()["email"] == "b@example.com"


def test_purge_removes_only_expired_answers(parent_api: APIClient) -> None:
    parent_api.post(URL, {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    parent_api.post(URL, {"email": "b@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_purge_expired() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_run_the_operation_once(parent: User) -> None:
    # given: ten clients racing with one key while the first is still working
    test_urls.calls["count"] = 0
    client = client_for(parent)

    def attempt() -> tuple[int, dict]:
        response = client.post(
            URL, {"email": "race@example.com", "delay": 0.3}, format="json", HTTP_IDEMPOTENCY_KEY="race"
        )
        return response.status_code, response.json()

    # when
    results = race(10, attempt)
    # then
    assert test_urls.calls["count"] == 1
    assert [status for status, _ in results] == [201] * 10
    assert len({body["id"] for _, body in results}) == 1
    assert User.objects.filter(email="race@example.com").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_that_waits_too_long_is_told_to_retry(parent: User, settings) -> None:
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.1
    results: list[int] = []

    def slow() -> None:
        try:
            client_for(parent).post(
                URL, {"email": "slow@example.com", "delay": 1.0}, format="json", HTTP_IDEMPOTENCY_KEY="slow"
            )
        finally:
            connection.close()

    thread = threading.Thread(target=slow)
    thread.start()
    while not IdempotencyRecord.objects.filter(key="slow").exists():
        pass
    response = client_for(parent).post(
        URL, {"email": "slow@example.com", "delay": 1.0}, format="json", HTTP_IDEMPOTENCY_KEY="slow"
    )
    results.append(response.status_code)
    thread.join(10)
    assert results == [409]
    assert response.json()["code"] == "idempotency_in_progress"
    assert response["Retry-After"] == "1"
