"""404-for-others cases of the emergencies routes (for tests/test_access_object_level.py's CASES).

Each case has the sitter raise an SOS during a booking with the parent, then
asks as the other family and as another sitter: the alert is not theirs, so
it does not exist for them, and nothing about it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def _strangers(request: pytest.FixtureRequest, method: str, suffix: str, body: dict[str, Any] | None = None) -> None:
    from accounts.tests.problems import assert_problem
    from bookings.tests.factories import World, bookable_sitter, family
    from conftest import client_for
    from emergencies.models import Emergency, EmergencyResponse
    from emergencies.tests.factories import raise_sos

    parent, sitter = request.getfixturevalue("parent"), request.getfixturevalue("sitter")
    if not hasattr(sitter, "sitter_profile"):
        bookable_sitter(sitter)
    booking = World(parent=parent, sitter=sitter, child=family(parent)).book()
    emergency = raise_sos(sitter, booking, device=f"access-case-{suffix or 'detail'}")
    for name in ("other_parent", "other_sitter"):
        client = client_for(request.getfixturevalue(name))
        response = getattr(client, method)(f"/api/v1/emergencies/{emergency.pk}{suffix}", body or {}, format="json")
        assert_problem(response, 404, "not_found")
    after = Emergency.objects.get(pk=emergency.pk)
    assert (after.status, after.resolution_notes) == (emergency.status, emergency.resolution_notes)
    assert not EmergencyResponse.objects.filter(emergency=emergency).exists()


CASES: dict[str, Callable[[pytest.FixtureRequest], None]] = {
    "emergencies:detail": lambda request: _strangers(request, "get", ""),
    "emergencies:acknowledge": lambda request: _strangers(request, "post", "/acknowledge"),
    "emergencies:resolve": lambda request: _strangers(request, "post", "/resolve", {"notes": "not yours"}),
}
