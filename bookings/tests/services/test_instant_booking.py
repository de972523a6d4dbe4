"""Instant booking (the ``instant_booking`` flag): a request to a sitter it is on for is accepted at once."""

from __future__ import annotations

import pytest
from waffle.models import Flag

from bookings.models import BookingEvent, BookingStatus
from bookings.tests.factories import World
from guardiannest import flags

pytestmark = pytest.mark.django_db


def test_a_request_waits_for_the_sitter_while_the_flag_is_off(world: World) -> None:
    booking = world.book()

    assert booking.status == BookingStatus.REQUESTED


def test_a_request_to_a_sitter_the_flag_names_is_confirmed_at_once(world: World) -> None:
    Flag.objects.get(name=flags.INSTANT_BOOKING.name).users.add(world.sitter)

    booking = world.book()

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    accepted = BookingEvent.objects.get(booking=booking, to_status="accepted")
    assert accepted.actor_id == world.sitter.pk


def test_the_flag_named_for_another_sitter_changes_nothing(world: World, other_sitter: object) -> None:
    Flag.objects.get(name=flags.INSTANT_BOOKING.name).users.add(other_sitter)

    assert world.book().status == BookingStatus.REQUESTED
