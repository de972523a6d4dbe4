"""404-for-others cases of the sitters calendar routes (merged into tests/test_access_object_level.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest


def _availability_exception_detail(request: pytest.FixtureRequest) -> None:
    from django.utils import timezone

    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from sitters.models import AvailabilityException, SitterProfile
    from sitters.tests.factories import SitterProfileFactory

    profile: SitterProfile = SitterProfileFactory(user=request.getfixturevalue("sitter"))  # type: ignore[assignment]
    exception = AvailabilityException.objects.create(
        sitter=profile, date=timezone.localdate() + timedelta(days=3), available=False
    )
    intruder = client_for(request.getfixturevalue("other_sitter"))
    url = f"/api/v1/sitters/me/availability/exceptions/{exception.pk}"
    assert_problem(intruder.get(url), 404, "not_found")
    assert_problem(
        intruder.patch(url, {"available": True, "start_time": "10:00", "end_time": "11:00"}, format="json"),
        404,
        "not_found",
    )
    assert_problem(intruder.delete(url), 404, "not_found")
    exception.refresh_from_db()
    assert exception.available is False


def _hold_detail(request: pytest.FixtureRequest) -> None:
    from django.utils import timezone

    from accounts.tests.problems import assert_problem
    from conftest import client_for
    from sitters.models import Hold, HoldKind, SitterProfile
    from sitters.tests.factories import SitterProfileFactory

    profile: SitterProfile = SitterProfileFactory(user=request.getfixturevalue("sitter"))  # type: ignore[assignment]
    start = timezone.now() + timedelta(days=2)
    hold = Hold.objects.create(
        sitter=profile, starts_at=start, ends_at=start + timedelta(hours=2), kind=HoldKind.BLOCKED
    )
    intruder = client_for(request.getfixturevalue("other_sitter"))
    assert_problem(intruder.delete(f"/api/v1/sitters/me/holds/{hold.pk}"), 404, "not_found")
    assert Hold.objects.filter(pk=hold.pk).exists()


CASES: dict[str, Callable[[pytest.FixtureRequest], None]] = {
    "sitters:availability-exception-detail": _availability_exception_detail,
    "sitters:hold-detail": _hold_detail,
}
