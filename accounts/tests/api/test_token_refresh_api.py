from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services.auth import tokens_for
from accounts.tests.problems import assert_problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/refresh"


def test_refresh_rotates_the_pair(api: APIClient, parent: User) -> None:
    # given
    pair = tokens_for(parent)
    # when
    response = api.post(URL, {"refresh": pair["refresh"]})
    # then
    assert response.status_code == 200, response.content
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    assert fresh["refresh"] != pair["refresh"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh['access']}")
    assert api.get("/api/v1/auth/me").json()["id"] == str(parent.pk)


def test_a_used_refresh_token_is_dead(api: APIClient, parent: User) -> None:
    # given
    old = tokens_for(parent)["refresh"]
    new = api.post(URL, {"refresh": old}).json()["refresh"]
    # when
    replay = api.post(URL, {"refresh": old})
    # then
    assert_problem(replay, 401, "token_not_valid")
    # the replay ended the session: the chain grown from the used token dies too (issue 11, item 6)
    assert_problem(api.post(URL, {"refresh": new}), 401, "token_not_valid")


def test_garbage_is_refused(api: APIClient) -> None:
    assert_problem(api.post(URL, {"refresh": "not.a.jwt"}), 401, "token_not_valid")


def test_an_access_token_is_not_a_refresh_token(api: APIClient, parent: User) -> None:
    access = tokens_for(parent)["access"]

    assert_problem(api.post(URL, {"refresh": access}), 401, "token_not_valid")


def test_deactivated_user_cannot_refresh(api: APIClient, parent: User) -> None:
    # given
    refresh = tokens_for(parent)["refresh"]
    User.objects.filter(pk=parent.pk).update(is_active=False)
    # when
    response = api.post(URL, {"refresh": refresh})
    # then
    assert_problem(response, 401, "no_active_account")


def test_deleted_user_cannot_refresh(api: APIClient, parent: User) -> None:
    # given
    refresh = tokens_for(parent)["refresh"]
    parent.delete()
    # when
    response = api.post(URL, {"refresh": refresh})
    # then
    assert_problem(response, 401, "no_active_account")


def test_refresh_requires_the_token(api: APIClient) -> None:
    assert "refresh" in assert_problem(api.post(URL, {}), 400, "invalid")["errors"]
