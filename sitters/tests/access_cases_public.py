"""404-for-others cases of the sitters public routes (merged into tests/test_access_object_level.py).

For public routes "not yours" means "not visible": a parent's id, or a
sitter whose profile is incomplete, answers 404 to everyone else; the
visible sitter next to them answers 200, so the 404s are not an accident.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest


def _invisible_ids(request: pytest.FixtureRequest) -> list[str]:
    """A sitter with no rate yet (a fresh account: the shared personas may have complete profiles), and a parent."""
    from sitters.tests.factories import SitterProfileFactory

    incomplete = SitterProfileFactory(hourly_rate=None)
    return [str(incomplete.pk), str(request.getfixturevalue("parent").pk)]


def _public_profile(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from sitters.tests.factories import SitterProfileFactory

    visible = SitterProfileFactory()
    for viewer in ("other_parent", "other_sitter"):
        client = client_for(request.getfixturevalue(viewer))
        for sitter_id in _invisible_ids(request):
            assert_problem(client.get(f"/api/v1/sitters/{sitter_id}"), 404, "not_found")
        assert client.get(f"/api/v1/sitters/{visible.pk}").status_code == 200


def _public_reviews(request: pytest.FixtureRequest) -> None:
    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from sitters.tests.factories import SitterProfileFactory

    visible = SitterProfileFactory()
    client = client_for(request.getfixturevalue("other_parent"))
    for sitter_id in _invisible_ids(request):
        assert_problem(client.get(f"/api/v1/sitters/{sitter_id}/reviews"), 404, "not_found")
    assert client.get(f"/api/v1/sitters/{visible.pk}/reviews").status_code == 200


CASES: dict[str, Callable[[pytest.FixtureRequest], None]] = {
    "sitters:public-profile": _public_profile,
    "sitters:public-reviews": _public_reviews,
}
