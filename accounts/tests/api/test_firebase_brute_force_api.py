"""Firebase is a way in like the password: counted by django-axes per account + address, throttled, race-safe."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from accounts.models import FirebaseIdentity, User, UserSession
from accounts.tests import verified_personas
from accounts.tests.firebase_helpers import sign_in
from accounts.tests.google import StandIn
from accounts.tests.problems import assert_problem
from conftest import race

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent


def _forged(google: StandIn, other_key: Any, email: str) -> str:
    """Names the parent's email, signed by someone else's key."""
    return google.sign(google.claims(uid="uid-forger", email=email), key=other_key)


@pytest.mark.django_db
def test_failures_lock_the_account_from_that_address(
    api: APIClient, google: StandIn, parent: User, other_key: Any, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    FirebaseIdentity.objects.create(user=parent, uid="uid-parent", provider="google.com", trusted=True)
    codes = [sign_in(api, _forged(google, other_key, parent.email)).status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    # even the parent's own good token is refused from here, before Google is asked
    lookups = len(google.lookups)
    good = google.token(uid="uid-parent", email=parent.email)
    response = sign_in(api, good)
    assert_problem(response, 429, "account_locked")
    assert int(response["Retry-After"]) > 0
    assert len(google.lookups) == lookups
    # … and the password login of that account from this address too: one count for every way in
    assert (
        api.post("/api/v1/auth/login", {"email": parent.email, "password": "x" * 12}, format="json").status_code == 429
    )
    # from elsewhere, the parent signs in
    assert sign_in(api, good, REMOTE_ADDR="198.51.100.4").status_code == 200


@pytest.mark.django_db
def test_a_success_clears_the_count(
    api: APIClient, google: StandIn, parent: User, other_key: Any, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    FirebaseIdentity.objects.create(user=parent, uid="uid-parent", provider="google.com", trusted=True)
    good = google.token(uid="uid-parent", email=parent.email)
    for _ in range(2):
        sign_in(api, _forged(google, other_key, parent.email))
    assert sign_in(api, good).status_code == 200
    for _ in range(2):
        assert sign_in(api, _forged(google, other_key, parent.email)).status_code == 401
    assert sign_in(api, good).status_code == 200


@pytest.mark.django_db
def test_a_token_with_no_readable_email_is_refused_but_counts_against_no_one(
    api: APIClient, google: StandIn, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    codes = [sign_in(api, "garbage").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 401]


@pytest.mark.django_db
def test_sign_in_is_throttled_per_address(api: APIClient, google: StandIn, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, "login": "2/min"},
    }
    codes = [sign_in(api, "garbage").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    assert 1 <= int(sign_in(api, "garbage")["Retry-After"]) <= 60


@pytest.mark.django_db(transaction=True)
def test_racing_first_sign_ins_make_one_account_and_one_link(google: StandIn) -> None:
    token = google.token(uid="uid-race", email="race@example.com")

    def attempt() -> int:
        try:
            return sign_in(APIClient(), token).status_code
        finally:
            connection.close()

    results = race(6, attempt)
    assert results == [200] * 6
    assert User.objects.filter(email="race@example.com").count() == 1
    assert FirebaseIdentity.objects.filter(uid="uid-race").count() == 1
    assert UserSession.objects.filter(method="firebase").count() == 6
