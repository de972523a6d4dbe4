"""The sitters domain says no with a code; only its API layer knows HTTP (tests/test_layers.py checks the layers).

The statuses below are what clients have always seen for each code: the
declaration in ``sitters/errors.py`` is now their one home, so a changed
refusal kind shows here before it shows to a client.
"""

from __future__ import annotations

import pytest

from guardiannest.api.errors import http_status
from guardiannest.errors import ApplicationError, Refusal
from sitters.errors import SitterError, clean_text_field

CLIENT_STATUSES = {
    "not_a_sitter": 403,
    "sitter_not_verified": 409,
    "sitter_unavailable": 409,
    "availability_overlap": 400,
    "verification_pending": 409,
    "verification_not_pending": 409,
    "already_verified": 409,
    "document_invalid": 400,
    "certification_exists": 409,
    "document_in_use": 409,
    "profile_incomplete": 409,
    "review_exists": 409,
    "review_reply_exists": 409,
    "required": 400,
}


def test_every_code_keeps_the_status_clients_know() -> None:
    assert {str(code): http_status(ApplicationError(code, "x")) for code in SitterError} == CLIENT_STATUSES


def test_refused_text_names_its_field_as_bad_input() -> None:
    with pytest.raises(ApplicationError) as raised:
        clean_text_field("bio", "a\u202eb", max_length=100)

    assert raised.value.refusal == Refusal.INVALID
    assert list(raised.value.errors or {}) == ["bio"]
