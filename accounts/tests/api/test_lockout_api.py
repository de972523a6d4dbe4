"""Guessing a password locks that account from that address, not from everywhere."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD
from accounts.tests.problems import assert_problem

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"


def attempt(api: APIClient, email: str, password: str, **extra: str):
    return api.post(LOGIN, {"email": email, "password": password}, format="json", **extra)


def test_after_the_limit_even_the_right_password_is_refused(api: APIClient, parent: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    codes = [attempt(api, parent.email, "wrong-password").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    response = attempt(api, parent.email, PASSWORD)
    assert_problem(response, 429, "account_locked")
    assert int(response["Retry-After"]) > 0


def test_the_lock_holds_one_address_not_the_parent_elsewhere(api: APIClient, parent: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        attempt(api, parent.email, "wrong-password", REMOTE_ADDR="203.0.113.9")
    assert attempt(api, parent.email, PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    assert attempt(api, parent.email, PASSWORD, REMOTE_ADDR="198.51.100.4").status_code == 200


def test_a_rotating_spoofed_forwarded_for_does_not_evade_the_lock(api: APIClient, parent: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(2):
        attempt(api, parent.email, "wrong-password", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.9")
    response = attempt(api, parent.email, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.77, 203.0.113.9")
    assert response.status_code == 429


def test_a_success_before_the_limit_clears_the_count(api: APIClient, parent: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    attempt(api, parent.email, "wrong-password")
    attempt(api, parent.email, "wrong-password")
    assert attempt(api, parent.email, PASSWORD).status_code == 200
    attempt(api, parent.email, "wrong-password")
    attempt(api, parent.email, "wrong-password")
    assert attempt(api, parent.email, PASSWORD).status_code == 200


def test_the_admin_login_is_locked_too(client, staff: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post("/admin/login/", {"username": staff.email, "password": "wrong-password"})
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db(transaction=True)
def test_racing_wrong_passwords_are_each_counted_never_a_500(parent: User, settings) -> None:
    from conftest import race

    settings.AXES_FAILURE_LIMIT = 50
    statuses = race(10, lambda: attempt(APIClient(), parent.email, "wrong-password").status_code)
    assert statuses == [401] * 10
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get(username=parent.email).failures_since_start == 10
