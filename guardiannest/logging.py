"""Structured logging: JSON lines carrying the request id and user id, never secrets.

Both structlog loggers and the standard library's loggers (Django, Celery,
uvicorn) go through one ``ProcessorFormatter``, so every line has the same shape
and passes through the same redaction.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

SENSITIVE_KEYS = re.compile(
    r"^(.*_)?(password|passwd|secret|token|authorization|cookie|api_?key|otp|refresh|access|ticket"
    r"|card_number|cvc|mfa_code|totp_code|backup_codes?)$",
    re.I,
)
# A JWT, a bearer credential, or a Stripe/Twilio-like key embedded in free text.
REDACTED = "[redacted]"
SECRET_PATTERNS = [
    (re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/-]+=*"), REDACTED),
    (re.compile(r"\b(sk|rk|whsec)_(live|test)?_?[A-Za-z0-9]{8,}\b"), REDACTED),
    # single-use websocket tickets and any token passed in a query string
    (re.compile(r"(?i)([?&](?:ticket|token|code|key)=)[^&\s\"']+"), r"\1" + REDACTED),
]


def _scrub_text(value: str) -> str:
    for pattern, replacement in SECRET_PATTERNS:
        value = pattern.sub(replacement, value)
    # CR/LF in a value would let a caller forge log lines.
    return value.replace("\r", "\\r").replace("\n", "\\n")


def redact(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Drop values under sensitive keys and scrub secrets out of text."""
    for key, value in list(event_dict.items()):
        if key in {"event", "exception", "request_id", "user_id", "level", "logger", "timestamp"}:
            if key == "event" and isinstance(value, str):
                event_dict[key] = _scrub_text(value)
            continue
        if SENSITIVE_KEYS.search(key):
            event_dict[key] = REDACTED
        elif isinstance(value, str):
            event_dict[key] = _scrub_text(value)
    return event_dict


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact,
]


def build_logging_config(*, level: str, fmt: str) -> dict[str, Any]:
    """Configure structlog and return Django's LOGGING dict for the same pipeline."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": SHARED_PROCESSORS,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    redact,
                    renderer,
                ],
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.server": {"level": "WARNING"},
            # Each request is logged once, by our middleware, with its request id.
            "django.request": {"level": "ERROR"},
            "uvicorn.access": {"level": "WARNING"},
            "axes": {"level": "WARNING"},
        },
    }
