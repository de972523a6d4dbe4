"""OpenAPI post-processing: document the one error shape on every operation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class JWTScheme(SimpleJWTScheme):
    """Our JWT authentication (simplejwt plus log context) documented as bearer JWT."""

    target_class = "guardiannest.api.authentication.JWTAuthentication"
    name = "jwtAuth"


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code", "request_id"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "request_id": {"type": "string", "nullable": True},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}

_COMMON = {
    "400": "Invalid input",
    "401": "Not authenticated",
    "403": "Not allowed",
    "404": "Not found, or not yours",
    "429": "Throttled",
}


def add_problem_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            common = dict(_COMMON)
            if method in {"post", "put", "patch", "delete"}:
                common["409"] = "State conflict"
            for status_code, description in common.items():
                operation["responses"].setdefault(
                    status_code,
                    {"description": description, "content": {"application/problem+json": {"schema": ref}}},
                )
    return result
