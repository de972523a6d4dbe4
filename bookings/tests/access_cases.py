"""404-for-others cases of the bookings routes (for tests/test_access_object_level.py's CASES).

Each case books the parent's own sitter, then asks as the other family and as
another sitter: the booking is not theirs, so it does not exist for them, and
nothing about it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def _booking(request: pytest.FixtureRequest) -> Any:
    from bookings.tests.factories import World, bookable_sitter, family

    parent, sitter = request.getfixturevalue("parent"), request.getfixturevalue("sitter")
    bookable_sitter(sitter)
    return World(parent=parent, sitter=sitter, child=family(parent)).book()


def _strangers(request: pytest.FixtureRequest, method: str, suffix: str, body: dict[str, Any] | None = None) -> None:
    from accounts.tests.problems import assert_problem
    from bookings.models import Booking
    from conftest import client_for

    booking = _booking(request)
    for name in ("other_parent", "other_sitter"):
        client = client_for(request.getfixturevalue(name))
        response = getattr(client, method)(f"/api/v1/bookings/{booking.pk}{suffix}", body or {}, format="json")
        assert_problem(response, 404, "not_found")
    after = Booking.objects.get(pk=booking.pk)
    assert (after.status, after.updated_at) == (booking.status, booking.updated_at)


PLACE = {"latitude": "52.51", "longitude": "13.40"}


def _case(method: str, suffix: str, body: dict[str, Any] | None = None) -> Callable[[pytest.FixtureRequest], None]:
    return lambda request: _strangers(request, method, suffix, body)


CASES: dict[str, Callable[[pytest.FixtureRequest], None]] = {
    "bookings:detail": _case("get", ""),
    "bookings:accept": _case("post", "/accept"),
    "bookings:decline": _case("post", "/decline"),
    "bookings:cancel": _case("post", "/cancel"),
    "bookings:check-in": _case("post", "/check-in", PLACE),
    "bookings:check-out": _case("post", "/check-out", PLACE),
    "bookings:hours-confirm": _case("post", "/hours/confirm"),
    "bookings:review": _case("post", "/review", {"rating": 5, "comment": "x"}),
    "bookings:review-reply": _case("post", "/review/reply", {"comment": "x"}),
    "bookings:dispute": _case("post", "/dispute", {"reason": "x"}),
    "bookings:no-show": _case("post", "/no-show"),
}


def _locations(request: pytest.FixtureRequest) -> None:
    """Live tracking: another family's or sitter's booking has no trail to read and takes no location."""
    from django.utils import timezone

    from accounts.tests.problems import assert_problem
    from bookings.models import BookingLocation
    from conftest import client_for

    booking = _booking(request)
    fix = {"latitude": 52.51, "longitude": 13.4, "recorded_at": timezone.now().isoformat()}
    for name in ("other_parent", "other_sitter"):
        client = client_for(request.getfixturevalue(name))
        assert_problem(client.post(f"/api/v1/bookings/{booking.pk}/locations", fix, format="json"), 404, "not_found")
        assert_problem(client.get(f"/api/v1/bookings/{booking.pk}/locations"), 404, "not_found")
    assert not BookingLocation.objects.exists()


def _overdue(request: pytest.FixtureRequest) -> None:
    from bookings.models import SafetyAlert

    _strangers(request, "post", "/overdue")
    assert not SafetyAlert.objects.exists()


CASES |= {"bookings:locations": _locations, "bookings:overdue": _overdue}
