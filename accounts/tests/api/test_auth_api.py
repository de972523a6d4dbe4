from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_register_creates_a_parent_and_answers_201(api: APIClient) -> None:
    # when
    response = api.post(
        "/api/v1/auth/register",
        {
            "email": "New.Parent@Example.com",
            "password": PASSWORD,
            "role": "parent",
            "first_name": "Ana",
            "last_name": "B",
        },
        format="json",
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "new.parent@example.com"
    assert body["role"] == "parent"
    assert User.objects.get(pk=body["id"]).check_password(PASSWORD)


def test_login_then_me(api: APIClient, parent: User) -> None:
    response = api.post("/api/v1/auth/login", {"email": parent.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    me = api.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == parent.email
