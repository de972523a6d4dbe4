"""Bookings at the moments live tracking and safety timers care about, reached through the real services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from prometheus_client import REGISTRY

from bookings.models import Booking
from bookings.services import booking_accept, booking_check_in
from bookings.tests.factories import World

HOME = {"latitude": Decimal("52.510000"), "longitude": Decimal("13.400000")}


def confirmed_soon(world: World, minutes: int = 20, hours: int = 2) -> Booking:
    """Accepted and paid (the simulated card), starting in ``minutes``."""
    booking = world.book(start=timezone.now() + timedelta(minutes=minutes), hours=hours)
    return booking_accept(booking_id=booking.pk, actor=world.sitter)


def under_way(world: World) -> Booking:
    """Checked in: in progress."""
    booking = confirmed_soon(world)
    return booking_check_in(booking_id=booking.pk, actor=world.sitter, **HOME)


def dropped(reason: str) -> float:
    return REGISTRY.get_sample_value("guardiannest_locations_dropped_total", {"reason": reason}) or 0.0


def fix(**changes: object) -> dict[str, object]:
    return {
        "latitude": 52.5101,
        "longitude": 13.4002,
        "accuracy_m": 7.5,
        "recorded_at": timezone.now().isoformat(),
    } | changes
