"""No overlap, ever: fifty overlapping requests accepted at once, one wins; a request for a held time is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from accounts.tests.factories import ChildFactory
from bookings.models import Booking, BookingStatus
from bookings.tests.factories import World, berlin, bookable_sitter, family
from conftest import client_for, race
from sitters.models import Hold

RACERS = 50


@pytest.mark.django_db(transaction=True)
def test_a_sitter_accepting_fifty_overlapping_requests_at_once_accepts_exactly_one(parent: Any, sitter: Any) -> None:
    # given: fifty requests, each overlapping all the others by at least an hour
    bookable_sitter(sitter)
    world = World(parent=parent, sitter=sitter, child=family(parent))
    ChildFactory(parent=parent)
    start = berlin(9, days=5)
    bookings = [world.book(start=start + timedelta(minutes=minute), hours=2) for minute in range(RACERS)]
    pending = iter(bookings)

    def accept() -> int:
        booking = next(pending)
        return int(client_for(sitter).post(f"/api/v1/bookings/{booking.pk}/accept").status_code)

    # when
    outcomes = race(RACERS, accept, timeout=120)

    # then
    statuses = sorted(outcome for outcome in outcomes if isinstance(outcome, int))
    assert len(statuses) == RACERS, [o for o in outcomes if not isinstance(o, int)]
    assert statuses.count(200) == 1
    assert statuses.count(409) == RACERS - 1
    assert not [status for status in statuses if status >= 500]
    assert Booking.objects.filter(status__in=(BookingStatus.ACCEPTED, BookingStatus.CONFIRMED)).count() == 1
    assert Hold.objects.filter(sitter_id=sitter.pk).count() == 1


@pytest.mark.django_db
def test_a_request_for_a_slot_already_held_by_an_accepted_booking_is_refused(world: World) -> None:
    from bookings.services import booking_accept
    from guardiannest.errors import ApplicationError

    booking_accept(booking_id=world.book().pk, actor=world.sitter)

    with pytest.raises(ApplicationError) as refused:
        world.book(start=berlin(12))

    assert refused.value.code == "booking_overlap"
