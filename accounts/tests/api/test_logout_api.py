from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services.auth import tokens_for
from accounts.tests.problems import assert_problem
from conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/logout"
REFRESH_URL = "/api/v1/auth/token/refresh"


def test_logout_ends_the_refresh_token(api: APIClient, parent: User) -> None:
    # given
    pair = tokens_for(parent)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    # when
    response = api.post(URL, {"refresh": pair["refresh"]})
    # then
    assert response.status_code == 204, response.content
    assert_problem(api.post(REFRESH_URL, {"refresh": pair["refresh"]}), 401, "token_not_valid")


def test_logout_leaves_other_sessions_alone(parent_api: APIClient, parent: User) -> None:
    ended, kept = tokens_for(parent), tokens_for(parent)

    assert parent_api.post(URL, {"refresh": ended["refresh"]}).status_code == 204
    assert parent_api.post(REFRESH_URL, {"refresh": kept["refresh"]}).status_code == 200


def test_someone_elses_refresh_token_is_refused_and_keeps_working(
    parent_api: APIClient, other_parent: User, api: APIClient
) -> None:
    # given
    theirs = tokens_for(other_parent)["refresh"]
    # when
    response = parent_api.post(URL, {"refresh": theirs})
    # then
    assert "refresh" in assert_problem(response, 400, "invalid_token")["errors"]
    assert api.post(REFRESH_URL, {"refresh": theirs}).status_code == 200


def test_logout_twice_is_refused(parent_api: APIClient, parent: User) -> None:
    refresh = tokens_for(parent)["refresh"]
    assert parent_api.post(URL, {"refresh": refresh}).status_code == 204

    assert_problem(parent_api.post(URL, {"refresh": refresh}), 400, "invalid_token")


def test_logout_refuses_an_access_token(parent: User) -> None:
    pair = tokens_for(parent)

    assert_problem(client_for(parent).post(URL, {"refresh": pair["access"]}), 400, "invalid_token")


def test_logout_needs_authentication(api: APIClient, parent: User) -> None:
    refresh = tokens_for(parent)["refresh"]

    response = api.post(URL, {"refresh": refresh})

    assert_problem(response, 401, "not_authenticated")
    assert api.post(REFRESH_URL, {"refresh": refresh}).status_code == 200
