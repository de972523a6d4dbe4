"""Messaging speaks the domain: codes declare their kind of refusal, and no domain module knows DRF or a request."""

from __future__ import annotations

import pytest

import messaging
from files.tests.layers import domain_modules, http_leaks
from guardiannest.api.errors import http_status
from guardiannest.errors import ApplicationError
from messaging.errors import ChatError, NotificationError

# The statuses clients have always seen for each code; a changed declaration changes the API.
STATUS_SEEN_BY_CLIENTS = {
    "invalid_participant": 400,
    "unknown_booking": 400,
    "unknown_attachment": 400,
    "unknown_message": 400,
    "participant_unavailable": 409,
    "cannot_disable": 400,
    "invalid_token": 400,
}


def test_each_code_answers_the_status_clients_know() -> None:
    codes = [*ChatError, *NotificationError]
    assert {code.value: http_status(ApplicationError(code, "no")) for code in codes} == STATUS_SEEN_BY_CLIENTS


# Leaks owned by other work, each named. Paying one fails this test, so its entry goes with it.
OWED: dict[str, str] = {}


@pytest.mark.parametrize("module", domain_modules(messaging))
def test_no_domain_module_imports_drf_or_takes_a_request(module: str) -> None:
    if module in OWED:
        assert http_leaks(module), f"{module} is converted: remove it from OWED"
    else:
        assert http_leaks(module) == []
