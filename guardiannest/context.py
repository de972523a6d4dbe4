"""Per-request facts that deep code (audit, throttles) needs without a request object."""

from __future__ import annotations

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)
