"""Messaging speaks the domain: each code declares its refusal (tests/test_layers.py checks the layers)."""

from __future__ import annotations

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

