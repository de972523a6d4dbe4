"""Fixtures for the audit tests: a request context, and a way to tamper like an attacker with SQL access."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
import structlog
from django.db import connection

from guardiannest import context

REQUEST_IP = "203.0.113.7"
REQUEST_ID = "req-audit-0001"


@pytest.fixture
def request_context() -> Iterator[None]:
    """What RequestIdMiddleware sets for a request: the client IP and a bound request id."""
    token = context.client_ip.set(REQUEST_IP)
    with structlog.contextvars.bound_contextvars(request_id=REQUEST_ID):
        yield
    context.client_ip.reset(token)


@contextmanager
def _append_only_trigger_disabled() -> Iterator[None]:
    # DDL is transactional in PostgreSQL: the test's rollback undoes this too.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")


@pytest.fixture
def tamper() -> Callable[[], AbstractContextManager[None]]:
    """Raw SQL with the append-only trigger off, as someone with table-owner rights could."""
    assert connection.vendor == "postgresql", "the suite runs on PostgreSQL, where the trigger lives"
    return _append_only_trigger_disabled
