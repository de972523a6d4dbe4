"""Log lines are JSON, carry context, and never carry secrets or forged lines."""

from __future__ import annotations

import io
import json
import logging

import structlog

from guardiannest.logging import REDACTED, build_logging_config, redact


def render(level: str = "INFO", **event: object) -> dict:
    """Send one event through the production pipeline and read the JSON line back."""
    config = build_logging_config(level=level, fmt="json")
    formatter = config["formatters"]["structured"]["()"](
        **{key: value for key, value in config["formatters"]["structured"].items() if key != "()"}
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("gn.test.logging")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    structlog.get_logger("gn.test.logging").info(**event)
    return json.loads(stream.getvalue())


def test_a_line_is_json_with_level_logger_and_time() -> None:
    line = render(event="hello", status=200)
    assert line["event"] == "hello" and line["status"] == 200
    assert line["level"] == "info" and line["logger"] == "gn.test.logging" and line["timestamp"].endswith("Z")


def test_context_bound_for_the_request_is_on_the_line() -> None:
    structlog.contextvars.bind_contextvars(request_id="rid-1", user_id="u-1")
    try:
        line = render(event="inside")
    finally:
        structlog.contextvars.clear_contextvars()
    assert (line["request_id"], line["user_id"]) == ("rid-1", "u-1")


def test_values_under_secret_names_are_dropped() -> None:
    line = render(event="e", password="hunter2", refresh="r", mfa_token="m", authorization="Bearer x", status_code=400)
    assert line["password"] == line["refresh"] == line["mfa_token"] == line["authorization"] == REDACTED
    assert line["status_code"] == 400


def test_secrets_inside_text_are_scrubbed() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    line = render(event=f"got {jwt}", note="Authorization: Bearer abc.def.ghi", url="/ws/v1?ticket=SeCrEt123&x=1")
    assert jwt not in json.dumps(line)
    assert "abc.def.ghi" not in line["note"]
    assert "SeCrEt123" not in line["url"] and "x=1" in line["url"]
    assert "sk_live_abcdefgh123" not in render(event="key sk_live_abcdefgh123")["event"]


def test_line_breaks_cannot_forge_a_log_line() -> None:
    line = render(event="login", email='a@example.com\n{"level": "critical"}')
    assert "\n" not in line["email"] and "\\n" in line["email"]


def test_redact_leaves_ordinary_values() -> None:
    assert redact(None, "info", {"event": "x", "path": "/api/v1/auth/me", "count": 3}) == {
        "event": "x",
        "path": "/api/v1/auth/me",
        "count": 3,
    }
