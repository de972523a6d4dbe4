"""Schemathesis hooks for the live run (``tests/test_schemathesis_live.py``), loaded by ``st`` through
``SCHEMATHESIS_HOOKS``. One hook, one rule, every other failure of every check stands.

``positive_data_acceptance`` (ST202) says a request the schema allows must not be refused. A JSON
schema states shapes: types, lengths, ranges, enums, required and unknown keys. It cannot state a
rule about the world: the current password, a token only the server issued, a sitter that exists, a
child's age today, a Stripe signature, the bytes of a real image. When the server refuses a
schema-valid request for such a rule, it answers in the one problem shape and names the declared
field it judged (or none, with the rule's own code), and that refusal is dropped here.

A refusal is kept (the run fails) when it:

* is not ``application/problem+json`` (an HTML page, a bare DRF answer);
* names a field the operation does not declare, or says ``Unknown field.`` for a key the schema
  allows (the schema must close the body: ``guardiannest.api.schema.AutoSchema`` does it for every
  strict serializer). A key the schema closes out is no valid data: schemathesis sometimes reuses a
  response body as a request and labels it positive, and that ``Unknown field.`` is right;
* is any status but 400, 413, 415 or 422 (a 5xx, an undeclared status: other checks catch them too);
* has no field errors and only the generic ``invalid`` / ``parse_error`` / ``bad_request`` code:
  a rule without a name is a shape the schema should have stated.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

# When set, each dropped refusal is appended here as one line: operation, status, code, fields.
DROPPED_LOG = os.environ.get("SCHEMATHESIS_DROPPED_LOG")

POSITIVE_DATA_REJECTED = "ST202"
RULE_STATUSES = frozenset({400, 413, 415, 422})
GENERIC_CODES = frozenset({"invalid", "parse_error", "bad_request"})
UNKNOWN_FIELD = "Unknown field."


def _resolve(raw: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = raw
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _body_schemas(case: schemathesis.Case) -> list[dict[str, Any]]:
    raw = case.operation.schema.raw_schema
    body = _resolve(raw, case.operation.definition.raw.get("requestBody", {}))
    schemas: list[dict[str, Any]] = []
    for media in (body.get("content") or {}).values():
        schemas.extend(_parts(raw, _resolve(raw, media.get("schema", {}))))
    return schemas


def _parts(raw: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema and every object schema inside it: allOf/oneOf/anyOf members and array items (a batch body)."""
    parts = [schema]
    for member in [*schema.get("allOf", []), *schema.get("oneOf", []), *schema.get("anyOf", [])]:
        parts.extend(_parts(raw, _resolve(raw, member)))
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        parts.extend(_parts(raw, _resolve(raw, schema["items"])))
    return parts


def _field_of(key: Any) -> str:
    """The declared name an error key is about: "preferences.marketing.sms" → preferences, "3.latitude" → latitude."""
    parts = str(key).split(".")
    while len(parts) > 1 and parts[0].isdigit():  # an item of a batch body
        parts.pop(0)
    return parts[0]


def declared_names(case: schemathesis.Case) -> set[str]:
    """The names the operation declares: its parameters and the top-level properties of its request bodies."""
    raw = case.operation.schema.raw_schema
    names = {
        str(_resolve(raw, parameter).get("name")) for parameter in case.operation.definition.raw.get("parameters", [])
    }
    for schema in _body_schemas(case):
        names.update(schema.get("properties", {}))
    return names


def _breaks_a_closed_body(case: schemathesis.Case) -> bool:
    """The body sent has a key its schema closes out: the case was not schema-valid, whatever its label.

    Schemathesis reuses values it saw in responses as request bodies and may label such a case
    positive; ``Unknown field.`` is then the right answer, not a refusal of valid data.
    """
    if not isinstance(case.body, dict):
        return False
    for schema in _body_schemas(case):
        if schema.get("additionalProperties") is False and set(case.body) - set(schema.get("properties", {})):
            return True
    return False


def _messages(errors: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for value in errors.values():
        if isinstance(value, dict):
            found.extend(_messages(value))
        elif isinstance(value, list):
            found.extend(str(item) for item in value)
        else:
            found.append(str(value))
    return found


def is_rule_refusal(case: schemathesis.Case, response: schemathesis.Response) -> bool:
    """The server refused a schema-valid request for a named rule on a declared field (see the module)."""
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code not in RULE_STATUSES or not content_type.startswith("application/problem+json"):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict) or not body.get("code"):
        return False
    errors = body.get("errors") or {}
    if not isinstance(errors, dict):
        return False
    if not errors:
        return body["code"] not in GENERIC_CODES
    if UNKNOWN_FIELD in _messages(errors):
        return _breaks_a_closed_body(case)
    declared = declared_names(case)
    return all(_field_of(key) in declared for key in errors)


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: schemathesis.Case, response: schemathesis.Response) -> bool:
    """Keep every failure but a schema-valid request refused for a rule the schema cannot state."""
    if failure.code != POSITIVE_DATA_REJECTED or not is_rule_refusal(case, response):
        return True
    if DROPPED_LOG:
        body = response.json()
        line = [case.operation.label, response.status_code, body["code"], sorted(body.get("errors") or {})]
        with open(DROPPED_LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps(line) + "\n")
    return False
