from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD
from accounts.tests.problems import assert_problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/login"


def test_login_answers_a_token_pair(api: APIClient, parent: User) -> None:
    response = api.post(URL, {"email": "Parent@Example.com", "password": PASSWORD})

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access", "refresh"}


def test_access_token_is_short_lived_and_names_the_user(api: APIClient, parent: User) -> None:
    access = api.post(URL, {"email": parent.email, "password": PASSWORD}).json()["access"]

    claims = jwt.decode(access, settings.JWT_SECRET, algorithms=["HS256"], audience="guardiannest-api")
    assert claims["aud"] == "guardiannest-api"
    assert claims["iss"] == "guardiannest"
    assert claims["sub"] == str(parent.pk)
    assert claims["token_type"] == "access"
    assert timedelta(seconds=claims["exp"] - claims["iat"]) <= timedelta(hours=1)


def test_wrong_password_and_unknown_email_answer_alike(api: APIClient, parent: User) -> None:
    wrong_password = api.post(URL, {"email": parent.email, "password": "not-the-password"})
    unknown_email = api.post(URL, {"email": "nobody@example.com", "password": PASSWORD})

    first = assert_problem(wrong_password, 401, "invalid_credentials")
    second = assert_problem(unknown_email, 401, "invalid_credentials")
    assert {k: v for k, v in first.items() if k != "request_id"} == {
        k: v for k, v in second.items() if k != "request_id"
    }


def test_inactive_user_cannot_log_in(api: APIClient, parent: User) -> None:
    # given
    parent.is_active = False
    parent.save()
    # when
    response = api.post(URL, {"email": parent.email, "password": PASSWORD})
    # then
    body = assert_problem(response, 401, "invalid_credentials")
    assert "access" not in body


def test_login_refuses_missing_and_unknown_fields(api: APIClient, parent: User) -> None:
    missing = api.post(URL, {"email": parent.email})
    unknown = api.post(URL, {"email": parent.email, "password": PASSWORD, "remember": True})

    assert "password" in assert_problem(missing, 400, "invalid")["errors"]
    assert "remember" in assert_problem(unknown, 400, "invalid")["errors"]
