"""Request ids, slash-optional paths and the headers every answer carries."""

from __future__ import annotations

import gzip

import pytest
import structlog
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import ParentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("guardiannest.tests.urls")]


@pytest.mark.parametrize("incoming", ["abc-123", "A.b_c-9", "x" * 64])
def test_a_well_formed_request_id_is_echoed(api: APIClient, incoming: str) -> None:
    assert api.get("/health/live", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["x" * 65, "has space", "semi;colon", "ü", ""])
def test_anything_else_is_replaced_by_a_uuid(api: APIClient, incoming: str) -> None:
    echoed = api.get("/health/live", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
    assert echoed != incoming
    assert len(echoed) == 36 and echoed.count("-") == 4


def test_every_log_line_of_a_request_carries_its_id_and_user(parent_api: APIClient, caplog) -> None:
    caplog.set_level("INFO")
    parent_api.get("/api/v1/auth/me", HTTP_X_REQUEST_ID="trace-me-1")
    lines = [record.msg for record in caplog.records if isinstance(record.msg, dict)]
    request_lines = [line for line in lines if line.get("event") == "request"]
    assert request_lines and request_lines[-1]["request_id"] == "trace-me-1"
    assert request_lines[-1]["user_id"] == str(User.objects.get(email="parent@example.com").pk)
    assert structlog.contextvars.get_contextvars() == {}  # nothing leaks into the next request


@pytest.mark.parametrize("path", ["/api/v1/auth/me", "/api/v1/auth/me/"])
def test_api_paths_answer_with_and_without_a_slash(parent_api: APIClient, path: str) -> None:
    response = parent_api.get(path)
    assert response.status_code == 200
    assert response.json()["email"] == "parent@example.com"


@pytest.mark.parametrize("path", ["/health/live/", "/api/schema/", "/metrics/"])
def test_other_slash_optional_paths_do_not_redirect(api: APIClient, path: str) -> None:
    assert api.get(path).status_code in {200, 404}
    assert api.get(path).status_code != 301


def test_personal_answers_are_not_stored_by_caches(parent_api: APIClient) -> None:
    assert "no-store" in parent_api.get("/api/v1/auth/me")["Cache-Control"]


def test_html_pages_carry_a_content_security_policy(client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_docs_need_no_internet(client: Client) -> None:
    html = client.get("/api/docs").content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html and "https://" not in html


def test_security_headers(api: APIClient) -> None:
    response = api.get("/health/live")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_https_redirect_and_hsts_in_production(api: APIClient, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    plain = api.get("/api/v1/auth/login")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = api.get("/health/live", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload" or secure[
        "Strict-Transport-Security"
    ].startswith("max-age=31536000; includeSubDomains")
    # load balancers probe health over plain HTTP
    assert api.get("/health/live").status_code == 200


def test_large_answers_are_gzipped(api: APIClient) -> None:
    response = api.get("/api/schema", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert b"openapi" in gzip.decompress(response.content)


def test_cors_allows_only_listed_origins(api: APIClient, settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    settings.CORS_ALLOWED_ORIGIN_REGEXES = []
    allowed = api.options(
        "/api/v1/auth/login", HTTP_ORIGIN="https://app.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    refused = api.options(
        "/api/v1/auth/login", HTTP_ORIGIN="https://evil.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in refused


def test_cursor_pagination_shape(parent_api: APIClient) -> None:
    ParentFactory.create_batch(4)
    first = parent_api.get("/api/v1/test/users").json()
    assert set(first) == {"results", "next", "previous"}
    assert len(first["results"]) == 2 and first["previous"] is None and first["next"]
    second = parent_api.get(first["next"]).json()
    assert {row["email"] for row in second["results"]}.isdisjoint({row["email"] for row in first["results"]})


def test_a_forged_cursor_is_a_404(parent_api: APIClient) -> None:
    response = parent_api.get("/api/v1/test/users?cursor=bm9wZQ")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
