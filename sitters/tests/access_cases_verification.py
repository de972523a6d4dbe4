"""404-for-others cases of the sitters verification routes (merged into tests/test_access_object_level.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest


def _staff_verification(request: pytest.FixtureRequest) -> None:
    """For staff "not yours" means "not a sitter": an unknown id or a parent's id is 404; a parent is 403."""
    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from sitters.models import VerificationCheck

    parent = request.getfixturevalue("parent")
    staff = client_for(request.getfixturevalue("staff"))
    body = {"decision": "verified"}
    for sitter_id in (uuid.uuid4(), parent.pk):
        url = f"/api/v1/staff/sitters/{sitter_id}/verification"
        assert_problem(staff.post(url, body, format="json"), 404, "not_found")
    sitter = request.getfixturevalue("sitter")
    intruder = client_for(request.getfixturevalue("other_parent"))
    assert_problem(intruder.post(f"/api/v1/staff/sitters/{sitter.pk}/verification", body, format="json"), 403)
    assert not VerificationCheck.objects.exists()


CASES: dict[str, Callable[[pytest.FixtureRequest], None]] = {"sitters:staff-verification": _staff_verification}
