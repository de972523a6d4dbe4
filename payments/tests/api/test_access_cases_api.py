"""Run this app's object-level cases here too, until tests/test_access_object_level.py merges them."""

from __future__ import annotations

import pytest

from payments.tests.access_cases import CASES


@pytest.mark.django_db
@pytest.mark.parametrize("route_name", sorted(CASES))
def test_another_familys_payment_object_answers_404(request: pytest.FixtureRequest, route_name: str) -> None:
    CASES[route_name](request)
