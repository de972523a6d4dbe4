from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/register"


def payload(**overrides: Any) -> dict[str, Any]:
    return {
        "email": "ana@example.com",
        "password": PASSWORD,
        "role": "parent",
        "first_name": "Ana",
        "last_name": "B",
    } | overrides


@pytest.mark.parametrize("role", ["parent", "sitter"])
def test_register_answers_201_with_id_email_role(api: APIClient, role: str) -> None:
    response = api.post(URL, payload(role=role, phone="+1 415 555 0100"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "email", "role"}
    user = User.objects.get(pk=body["id"])
    assert (user.email, user.role, user.phone) == ("ana@example.com", role, "+14155550100")
    assert user.check_password(PASSWORD)


def test_register_lower_cases_the_email(api: APIClient) -> None:
    response = api.post(URL, payload(email="  Ana.B@EXAMPLE.Com "))

    assert response.status_code == 201, response.content
    assert response.json()["email"] == "ana.b@example.com"
    assert User.objects.filter(email="ana.b@example.com").exists()


@pytest.mark.parametrize(
    "password",
    [
        "short1!",  # under 10 characters
        "password123",  # common
        "12345678901234",  # numeric only
        "ana@example.com",  # like the email
    ],
)
def test_register_refuses_a_weak_password(api: APIClient, password: str) -> None:
    response = api.post(URL, payload(password=password))

    body = assert_problem(response, 400, "invalid")
    assert body["errors"]["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["parent@example.com", "PARENT@Example.COM"])
def test_a_taken_email_answers_like_a_new_one_and_creates_nothing(api: APIClient, parent: User, email: str) -> None:
    """Account enumeration (issue 11, item 10): sign-up never says an address has an account."""
    fresh = api.post(URL, payload(email="nobody.yet@example.com"))

    response = api.post(URL, payload(email=email))

    assert (response.status_code, fresh.status_code) == (201, 201)
    assert set(response.json()) == set(fresh.json()) == {"id", "email", "role"}
    assert response.json()["id"] != str(parent.pk)
    assert response.json()["email"] == "parent@example.com" and response.json()["role"] == fresh.json()["role"]
    assert User.objects.filter(email="parent@example.com").count() == 1
    assert User.objects.get(email="parent@example.com").pk == parent.pk
    assert AuditEvent.objects.filter(action="user.register_taken", target_id=str(parent.pk)).count() == 1


@pytest.mark.parametrize("role", ["staff", "admin", ""])
def test_register_refuses_any_role_but_parent_or_sitter(api: APIClient, role: str) -> None:
    response = api.post(URL, payload(role=role))

    body = assert_problem(response, 400, "invalid")
    assert list(body["errors"]) == ["role"]
    assert not User.objects.exists()


def test_register_names_an_unknown_field(api: APIClient) -> None:
    response = api.post(URL, payload(is_staff=True))

    body = assert_problem(response, 400, "invalid")
    assert "is_staff" in body["errors"]
    assert not User.objects.exists()


@pytest.mark.parametrize("missing", ["email", "password", "role", "first_name", "last_name"])
def test_register_requires_each_field(api: APIClient, missing: str) -> None:
    data = payload()
    del data[missing]

    body = assert_problem(api.post(URL, data), 400, "invalid")
    assert missing in body["errors"]


@pytest.mark.parametrize("phone", ["0415555010", "+0123456789", "call me", "+1415555010012345"])
def test_register_refuses_an_invalid_phone(api: APIClient, phone: str) -> None:
    body = assert_problem(api.post(URL, payload(phone=phone)), 400, "invalid")
    assert "phone" in body["errors"]


def test_register_refuses_malformed_json(api: APIClient) -> None:
    response = api.post(URL, '{"email": "ana@example.com",', content_type="application/json")

    assert_problem(response, 400, "parse_error")


def test_register_refuses_a_form_encoded_body(api: APIClient) -> None:
    response = api.post(URL, payload(), format="multipart")
    form = api.post(URL, "email=ana%40example.com", content_type="application/x-www-form-urlencoded")

    assert_problem(response, 415, "unsupported_media_type")
    assert_problem(form, 415, "unsupported_media_type")
    assert not User.objects.exists()


def test_register_error_echoes_the_incoming_request_id(api: APIClient) -> None:
    response = api.post(URL, payload(role="staff"), HTTP_X_REQUEST_ID="req-123")

    body = assert_problem(response, 400)
    assert body["request_id"] == "req-123"
