"""One assertion for the one error shape (API.md, Conventions)."""

from __future__ import annotations

from typing import Any

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id"}


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is problem+json with every key, the right status and code; returns the body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS, f"missing {PROBLEM_KEYS - set(body)} in {body}"
    assert body["status"] == status
    assert body["request_id"] == response["X-Request-ID"]
    if code is not None:
        assert body["code"] == code, body
    return body
