"""The OpenAPI schema tells what the server does: the one error shape on every operation, closed request bodies.

Generated clients (the mobile apps) and schemathesis read the schema as a promise, so what the
server refuses is declared, for every endpoint without per-view work:

* :class:`AutoSchema` closes the request body of every serializer that refuses unknown keys
  (:class:`~guardiannest.api.serializers.StrictInputMixin`, so every ``StrictSerializer``) with
  ``additionalProperties: false``;
* the shared pagination (:mod:`guardiannest.api.pagination`) declares the range of ``page_size``;
* :func:`add_problem_responses` documents the problem+json answers every operation can give.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.plumbing import force_instance, get_doc

from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import StrictInputMixin

_MIXIN_DOC = get_doc(StrictInputMixin)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema; a strict serializer's request body admits its declared keys only.

    Its ``one_of`` / ``any_of`` rules become ``oneOf`` / ``anyOf`` of the body.

    Read-only fields stay out of the request component (``COMPONENT_SPLIT_REQUEST``); the server
    still ignores them when a client echoes a whole object back, which the schema does not promise.
    """

    def _map_serializer(self, serializer: Any, direction: str, bypass_extensions: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer(serializer, direction, bypass_extensions)
        instance = force_instance(serializer)
        if isinstance(instance, StrictInputMixin) and schema.get("description") == _MIXIN_DOC:
            del schema["description"]  # the mixin's docstring is for us, not for the API's readers
        strict = direction == "request" and isinstance(instance, StrictInputMixin)
        if strict and schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
            if instance.one_of:
                schema["oneOf"] = [{"required": [name]} for name in instance.one_of]
            if instance.any_of:
                schema["anyOf"] = [_present(name, schema["properties"].get(name, {})) for name in instance.any_of]
        return schema

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> tuple[Any, bool]:
        schema, required = super()._get_request_for_media_type(serializer, direction)
        instance = force_instance(serializer)
        if isinstance(instance, StrictInputMixin) and (instance.one_of or instance.any_of):
            required = True  # a body that must name one of its keys cannot be left out
        return schema, required


def _present(name: str, field: dict[str, Any]) -> dict[str, Any]:
    """``name`` sent and, when it is text, not blank."""
    if field.get("type") == "string":
        return {"required": [name], "properties": {name: {"minLength": 1}}}
    return {"required": [name]}


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


def bound_page_size(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """A ``page_size`` query parameter declared by hand gets the shared pagination's range.

    Lists paginated by :class:`~guardiannest.api.pagination.CursorPagination` declare it themselves;
    a view that pages by hand and documents ``page_size`` as a bare integer parses it with
    :func:`~guardiannest.api.pagination.page_size_of` too, so the same range is the truth there.
    """
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and parameter.get("name") == "page_size" and "maximum" not in schema:
                    schema.update(minimum=1, maximum=CursorPagination.max_page_size)
    return result


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
