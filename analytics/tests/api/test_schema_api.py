"""The analytics operations as staff see them, fuzzed from the OpenAPI schema (tests/test_schemathesis.py runs
every operation as a parent, who only ever gets 403 here): no 5xx, every status and body as the schema says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from accounts.services.auth import tokens_for
from accounts.tests.factories import StaffFactory
from analytics.tests.conftest import History
from guardiannest.wsgi import application

pytestmark = pytest.mark.slow

PLAIN = {"Accept-Encoding": "identity"}
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
        }
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema?format=json", application, config=CONFIG, headers=PLAIN)
OPERATIONS = [
    result.ok()
    for result in schema.get_all_operations()
    if hasattr(result, "ok") and result.ok().path.startswith("/api/v1/analytics/")
]


@pytest.fixture
def wsgi_in_test_transaction(history: History) -> Iterator[None]:
    """The WSGI application inside the test's transaction (see tests/test_schemathesis.py), over the March history."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_all_four_operations_are_described() -> None:
    assert sorted(operation.path for operation in OPERATIONS) == [
        "/api/v1/analytics/bookings",
        "/api/v1/analytics/retention",
        "/api/v1/analytics/revenue",
        "/api/v1/analytics/users",
    ]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_as_staff(operation: Any, wsgi_in_test_transaction: None) -> None:
    signed_in = {**PLAIN, "Authorization": f"Bearer {tokens_for(StaffFactory())['access']}"}
    statuses: set[int] = set()
    march = operation.Case(query={"from": "2026-03-02", "to": "2026-03-15", "interval": "week"})
    statuses.add(march.call_and_validate(headers=signed_in).status_code)

    @settings(max_examples=25, derandomize=True, database=None, deadline=None, phases=[Phase.generate])
    @given(case=st.one_of([operation.as_strategy(generation_mode=mode) for mode in GenerationMode]))
    def run(case: schemathesis.Case) -> None:
        statuses.add(case.call_and_validate(headers=signed_in).status_code)

    run()
    # 401: the negative mode also sends cases without credentials.
    assert statuses <= {200, 400, 401}
    assert {200, 400} <= statuses
