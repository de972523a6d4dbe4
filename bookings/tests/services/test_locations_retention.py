"""Retention and erasure: locations go LOCATION_RETENTION_DAYS after their booking ended, or with the account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bookings.models import BookingLocation
from bookings.services import booking_check_out
from bookings.tests.factories import World
from bookings.tests.tracking_helpers import HOME, under_way
from bookings.tracking.services import location_record, locations_purge
from bookings.tracking.validation import location_fixes_parse

pytestmark = pytest.mark.django_db


def record(world: World, booking: Any, count: int) -> None:
    now = timezone.now()
    raw = [
        {"latitude": 52.5, "longitude": 13.4, "recorded_at": (now - timedelta(seconds=i)).isoformat()}
        for i in range(count)
    ]
    location_record(sitter_id=world.sitter.pk, booking_id=booking.pk, fixes=location_fixes_parse(raw, now=now))


def test_only_locations_of_bookings_ended_long_enough_ago_are_deleted(world: World, settings: Any) -> None:
    settings.LOCATION_RETENTION_DAYS = 30
    done = under_way(world)
    record(world, done, 5)
    done = booking_check_out(booking_id=done.pk, actor=world.sitter, **HOME)
    end = max(done.ends_at, done.checked_out_at)

    assert locations_purge(now=end + timedelta(days=29)) == 0
    assert BookingLocation.objects.filter(booking=done).count() == 5

    assert locations_purge(now=end + timedelta(days=31), batch=2) == 5  # three batches
    assert not BookingLocation.objects.filter(booking=done).exists()


def test_a_booking_still_in_progress_keeps_its_trail_whatever_its_planned_end(world: World, settings: Any) -> None:
    settings.LOCATION_RETENTION_DAYS = 1
    booking = under_way(world)
    record(world, booking, 2)

    assert locations_purge(now=booking.ends_at + timedelta(days=5)) == 0
    assert BookingLocation.objects.filter(booking=booking).count() == 2


def test_the_sitters_export_holds_their_locations_and_an_erased_account_leaves_no_trail(world: World) -> None:
    from bookings.tracking.services import locations_erase, locations_export

    booking = under_way(world)
    record(world, booking, 2)

    exported = locations_export(world.sitter)["locations"]
    assert len(exported) == 2 and exported[0]["booking_id"] == str(booking.pk)
    assert locations_export(world.parent) == {"locations": []}

    locations_erase(world.parent)
    assert not BookingLocation.objects.exists()
