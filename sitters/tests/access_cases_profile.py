"""404-for-others cases of the sitters profile routes (merged into tests/test_access_object_level.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest


def _certification_detail(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from sitters.models import Certification
    from sitters.tests.factories import CertificationFactory, SitterProfileFactory

    certification = CertificationFactory(sitter=SitterProfileFactory(user=request.getfixturevalue("sitter")))
    intruder = client_for(request.getfixturevalue("other_sitter"))
    url = f"/api/v1/sitters/me/certifications/{certification.pk}"
    assert_problem(intruder.get(url), 404, "not_found")
    assert_problem(intruder.patch(url, {"kind": "cpr"}, format="json"), 404, "not_found")
    assert_problem(intruder.delete(url), 404, "not_found")
    assert Certification.objects.get(pk=certification.pk).kind == "first_aid"


CASES: dict[str, Callable[[pytest.FixtureRequest], None]] = {
    "sitters:certification-detail": _certification_detail,
}
