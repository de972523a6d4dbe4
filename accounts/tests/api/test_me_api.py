from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.tests.problems import assert_problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/me"
FIELDS = {"id", "email", "role", "first_name", "last_name", "phone", "email_verified", "mfa_enabled", "is_staff"}


def test_me_shows_exactly_the_contract_fields(parent_api: APIClient, parent: User) -> None:
    response = parent_api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == FIELDS
    assert body["id"] == str(parent.pk)
    assert (body["email"], body["role"], body["is_staff"]) == ("parent@example.com", "parent", False)
    assert (body["email_verified"], body["mfa_enabled"]) == (False, False)


def test_me_is_never_cached(parent_api: APIClient) -> None:
    assert "no-store" in parent_api.get(URL)["Cache-Control"]
    assert "no-store" in parent_api.patch(URL, {"first_name": "Zoe"})["Cache-Control"]


def test_patch_changes_names_and_phone(parent_api: APIClient, parent: User) -> None:
    response = parent_api.patch(URL, {"first_name": "Zoe", "last_name": "Quinn", "phone": "+44 20 7946 0958"})

    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "+442079460958"
    parent.refresh_from_db()
    assert (parent.first_name, parent.last_name, parent.phone) == ("Zoe", "Quinn", "+442079460958")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", "staff"),
        ("is_staff", True),
        ("email", "new@example.com"),
        ("id", "00000000-0000-0000-0000-000000000001"),
        ("email_verified", True),
        ("mfa_enabled", True),
    ],
)
def test_patch_leaves_protected_fields_unchanged(parent_api: APIClient, parent: User, field: str, value: Any) -> None:
    # when
    response = parent_api.patch(URL, {field: value, "first_name": "Zoe"})
    # then
    assert response.status_code == 200, response.content
    stored = User.objects.get(pk=parent.pk)
    assert (stored.role, stored.is_staff, stored.email, stored.email_verified_at) == (
        Role.PARENT,
        False,
        "parent@example.com",
        None,
    )
    assert stored.first_name == "Zoe"
    assert response.json()[field] != value


def test_patch_names_an_unknown_field(parent_api: APIClient, parent: User) -> None:
    body = assert_problem(parent_api.patch(URL, {"nickname": "Z"}), 400, "invalid")

    assert list(body["errors"]) == ["nickname"]


@pytest.mark.parametrize("data", [{"first_name": ""}, {"first_name": "   "}, {"last_name": ""}])
def test_patch_refuses_a_blank_name(parent_api: APIClient, parent: User, data: dict[str, str]) -> None:
    body = assert_problem(parent_api.patch(URL, data), 400, "invalid")

    assert list(body["errors"]) == list(data)
    parent.refresh_from_db()
    assert parent.first_name
    assert parent.last_name


def test_patch_refuses_an_invalid_phone(parent_api: APIClient) -> None:
    assert "phone" in assert_problem(parent_api.patch(URL, {"phone": "12345"}), 400, "invalid")["errors"]


@pytest.mark.parametrize("method", ["get", "patch"])
def test_me_needs_authentication(api: APIClient, method: str) -> None:
    assert_problem(getattr(api, method)(URL), 401, "not_authenticated")


def test_the_fast_representation_matches_the_serializer(parent) -> None:
    from accounts.api.serializers import MeSerializer
    from accounts.api.views import me_representation

    assert me_representation(parent) == MeSerializer(parent).data


def test_me_takes_one_query_for_the_user_and_mfa(parent_api, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        assert parent_api.get("/api/v1/auth/me").status_code == 200
