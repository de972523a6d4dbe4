"""The OpenAPI schema states what the server refuses (``guardiannest.api.schema``), for every endpoint alike."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from guardiannest.api.serializers import StrictInputMixin


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
    ]


def _body_schema(schema: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    ref = content["schema"].get("$ref", "")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else content["schema"]


# Bodies that take keys we do not know, on purpose: a mail client's one-click unsubscribe form
# (``List-Unsubscribe=One-Click``, RFC 8058) and Stripe's events, whatever Stripe adds to them.
OPEN_BY_DESIGN = ["POST /api/v1/notifications/unsubscribe", "POST /api/v1/payments/webhooks/stripe"]


def test_every_json_body_is_closed_but_those_open_by_design(schema: dict[str, Any]) -> None:
    """A strict serializer's body says ``additionalProperties: false``; an input serializer that is not
    strict (it would ignore a misspelt key) shows up here: derive it from ``StrictSerializer``."""
    open_bodies = []
    for path, method, operation in _operations(schema):
        body = _body_schema(schema, operation)
        if body is not None and body.get("type") == "object" and body.get("additionalProperties") is not False:
            open_bodies.append(f"{method.upper()} {path}")
    assert sorted(open_bodies) == OPEN_BY_DESIGN


def test_keys_that_go_together_are_stated(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["ConversationStartRequest"]["oneOf"] == [
        {"required": ["participant_id"]},
        {"required": ["booking_id"]},
    ]
    assert components["StepUpInputRequest"]["anyOf"] == [
        {"required": ["password"], "properties": {"password": {"minLength": 1}}},
        {"required": ["code"], "properties": {"code": {"minLength": 1}}},
    ]
    for path in ("/api/v1/conversations", "/api/v1/auth/step-up"):
        assert schema["paths"][path]["post"]["requestBody"]["required"] is True


def test_every_page_size_has_its_range(schema: dict[str, Any]) -> None:
    sizes = [
        parameter["schema"]
        for _, _, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "page_size"
    ]
    assert len(sizes) > 10
    assert all(size["type"] == "integer" and size["minimum"] == 1 and size["maximum"] >= 1 for size in sizes), sizes


def test_the_strict_mixin_docstring_is_no_api_description(schema: dict[str, Any]) -> None:
    marker = (StrictInputMixin.__doc__ or "").splitlines()[0]
    assert marker
    assert all(
        marker not in str(component.get("description", "")) for component in schema["components"]["schemas"].values()
    )


def test_firebase_switched_off_is_a_documented_403(schema: dict[str, Any]) -> None:
    for path in ("/api/v1/auth/firebase", "/api/v1/auth/firebase/link"):
        assert "firebase_not_enabled" in schema["paths"][path]["post"]["responses"]["403"]["description"]
