"""Every error leaves in the one problem+json shape, with the request id."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.urls("guardiannest.tests.urls")]

KEYS = {"type", "title", "status", "detail", "code", "request_id"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) >= KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_unknown_path_is_a_json_404(api: APIClient) -> None:
    assert_problem(api.get("/api/v1/nothing-here"), 404, "not_found")


def test_unknown_top_level_path_is_a_json_404(api: APIClient) -> None:
    assert_problem(api.get("/wp-login.php"), 404, "not_found")


def test_unauthenticated_is_401_with_a_challenge(api: APIClient) -> None:
    response = api.get("/api/v1/auth/me")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_method_is_405(parent_api: APIClient) -> None:
    assert_problem(parent_api.delete("/api/v1/auth/me"), 405, "method_not_allowed")


def test_malformed_json_is_400_and_changes_nothing(api: APIClient) -> None:
    before = User.objects.count()
    response = api.post("/api/v1/auth/register", data='{"email": ', content_type="application/json")
    assert_problem(response, 400, "parse_error")
    assert User.objects.count() == before


def test_form_body_is_415(api: APIClient) -> None:
    response = api.post(
        "/api/v1/auth/login", data="email=a&password=b", content_type="application/x-www-form-urlencoded"
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_body_over_the_limit_is_413_before_parsing(api: APIClient, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post("/api/v1/auth/login", data='{"email": "' + "a" * 2000 + '"}', content_type="application/json")
    assert_problem(response, 413, "request_too_large")


def test_validation_errors_name_each_field_even_nested(parent_api: APIClient) -> None:
    response = parent_api.post("/api/v1/test/nested", {"children": [{"name": "ok"}, {}], "age": -1}, format="json")
    body = assert_problem(response, 400, "invalid")
    assert body["errors"]["children.1.name"] == ["This field is required."]
    assert "age" in body["errors"]


def test_unknown_fields_are_refused_by_name(parent_api: APIClient) -> None:
    response = parent_api.post("/api/v1/test/nested", {"children": [], "age": 1, "agee": 2}, format="json")
    body = assert_problem(response, 400, "invalid")
    assert body["errors"] == {"agee": ["Unknown field."]}


def test_a_json_list_where_an_object_belongs_is_400(parent_api: APIClient) -> None:
    response = parent_api.post("/api/v1/test/nested", [1, 2], format="json")
    assert_problem(response, 400, "invalid")


def test_unhandled_error_is_500_without_internals(parent_api: APIClient) -> None:
    response = parent_api.get("/api/v1/test/boom")
    body = assert_problem(response, 500, "server_error")
    assert "passwd" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["detail"].startswith("Something went wrong")


def test_django_level_500_handler_is_json(client, settings) -> None:
    from guardiannest.api.errors import server_error

    response = server_error(None)  # type: ignore[arg-type]
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"


def test_disallowed_host_is_a_json_400(api: APIClient) -> None:
    assert_problem(api.get("/health/live", HTTP_HOST="evil.example"), 400, "bad_request")
