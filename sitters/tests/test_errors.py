"""The sitters domain says no with a code; only its API layer knows HTTP.

The statuses below are what clients have always seen for each code: the
declaration in ``sitters/errors.py`` is now their one home, so a changed
refusal kind shows here before it shows to a client.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from guardiannest.api.errors import http_status
from guardiannest.errors import ApplicationError, Refusal
from sitters.errors import SitterError, clean_text_field

SITTERS = Path(__file__).resolve().parent.parent
# The HTTP layer of the app, and what the core helper owns; everything else is domain.
NOT_DOMAIN = ("api", "tests", "migrations", "admin.py", "apps.py")

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
    "required": 400,
}


def _domain_modules() -> list[Path]:
    return sorted(
        path for path in SITTERS.rglob("*.py") if not path.relative_to(SITTERS).parts[0].startswith(NOT_DOMAIN)
    )


def test_every_code_keeps_the_status_clients_know() -> None:
    assert {str(code): http_status(ApplicationError(code, "x")) for code in SitterError} == CLIENT_STATUSES


@pytest.mark.parametrize("path", _domain_modules(), ids=lambda path: str(path.relative_to(SITTERS)))
def test_the_domain_imports_no_drf_and_passes_no_status(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    imported = [
        name
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    ]
    assert not [name for name in imported if name.split(".")[0] == "rest_framework"]
    assert "guardiannest.api.errors" not in imported  # the domain's errors are guardiannest.errors
    refusals = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and _called(node) == "ApplicationError"]
    assert not [kw.arg for node in refusals for kw in node.keywords if kw.arg in ("status", "headers")]


def _called(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def test_refused_text_names_its_field_as_bad_input() -> None:
    with pytest.raises(ApplicationError) as raised:
        clean_text_field("bio", "a\u202eb", max_length=100)

    assert raised.value.refusal == Refusal.INVALID
    assert list(raised.value.errors or {}) == ["bio"]
