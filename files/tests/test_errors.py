"""Files speak the domain: each code declares its kind of refusal (tests/test_layers.py checks the layers)."""

from __future__ import annotations

from files.errors import FileError
from guardiannest.api.errors import http_status
from guardiannest.errors import ApplicationError

# The statuses clients have always seen for each code; a changed declaration changes the API.
STATUS_SEEN_BY_CLIENTS = {
    "file_too_large": 413,
    "image_too_large": 413,
    "unsupported_file_type": 415,
    "file_type_not_allowed": 415,
    "file_polyglot": 415,
    "file_active_content": 415,
    "file_corrupt": 400,
    "file_empty": 400,
    "file_name_invalid": 400,
    "file_link_expired": 403,
}


def test_each_code_answers_the_status_clients_know() -> None:
    assert {code.value: http_status(ApplicationError(code, "no")) for code in FileError} == STATUS_SEEN_BY_CLIENTS
