"""The family's address and the children's health notes reach the sitter only inside the booking's window.

The window: from 2 hours before the start until the end, of a confirmed or
in-progress booking. The selector takes the clock as ``now``, so the edges
are tested to the microsecond.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from accounts.models import Child
from bookings.models import Booking, BookingStatus
from bookings.selectors import booking_family_for, family_data_open
from bookings.tests.factories import World, confirmed_soon, family
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
TICK = timedelta(microseconds=1)


def _with_health_notes(world: World) -> Booking:
    child = Child.objects.get(pk=world.child.pk)
    child.allergies, child.medical_notes, child.special_needs = "Peanuts", "EpiPen in the bag", "Naps at 1"
    child.save()
    return confirmed_soon(world, minutes=24 * 60)


def test_the_window_opens_two_hours_before_the_start_and_closes_at_the_end(world: World) -> None:
    booking = _with_health_notes(world)
    opens, ends = booking.starts_at - timedelta(hours=2), booking.ends_at

    assert not family_data_open(booking=booking, now=opens - TICK)
    assert family_data_open(booking=booking, now=opens)
    assert family_data_open(booking=booking, now=ends - TICK)
    assert not family_data_open(booking=booking, now=ends)


@pytest.mark.parametrize("status", [s for s in BookingStatus.values if s not in ("confirmed", "in_progress")])
def test_only_a_confirmed_or_in_progress_booking_opens_it(world: World, status: str) -> None:
    booking = _with_health_notes(world)
    booking.status = status

    assert not family_data_open(booking=booking, now=booking.starts_at)


def test_the_sitter_reads_the_details_inside_and_each_read_is_audited_for_the_family(world: World) -> None:
    booking = _with_health_notes(world)
    before = AuditEvent.objects.count()

    family = booking_family_for(booking=booking, reader=world.sitter, now=booking.starts_at - timedelta(hours=2))

    assert family is not None and family.address is not None
    assert family.address.latitude is not None
    [child] = family.children
    assert (child.medical.allergies, child.medical.medical_notes, child.medical.special_needs) == (
        "Peanuts",
        "EpiPen in the bag",
        "Naps at 1",
    )
    reads = AuditEvent.objects.order_by("id")[before:]
    assert sorted(e.action for e in reads) == ["family.address_read", "family.medical_notes_read"]
    assert {(e.target_id, e.actor_id) for e in reads} == {(str(world.parent.pk), world.sitter.pk)}
    assert {e.data["reads"] for e in reads} == {1}


def test_a_polling_sitter_is_audited_once_per_window_with_the_reads_counted(world: World, settings: Any) -> None:
    # given a sitter's app fetching the family's details every few seconds
    settings.FAMILY_READ_AUDIT_MINUTES = 15
    booking = _with_health_notes(world)
    inside = booking.starts_at - timedelta(hours=1)
    before = AuditEvent.objects.count()

    # when it reads them 20 times within the window
    for _ in range(20):
        assert booking_family_for(booking=booking, reader=world.sitter, now=inside) is not None

    # then the trail has one event for the address and one for the child, not 40
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert sorted(e.action for e in events) == ["family.address_read", "family.medical_notes_read"]
    assert all(e.data["reads"] == 1 and e.data["window_seconds"] == 900 for e in events)


def test_each_child_is_audited_on_its_own(world: World) -> None:
    booking = _with_health_notes(world)
    second = family(world.parent)
    booking.children.add(second)
    inside = booking.starts_at - timedelta(hours=1)
    before = AuditEvent.objects.count()

    booking_family_for(booking=booking, reader=world.sitter, now=inside)
    booking_family_for(booking=booking, reader=world.sitter, now=inside)

    medical = [e for e in AuditEvent.objects.order_by("id")[before:] if e.action == "family.medical_notes_read"]
    assert sorted(e.data["child_id"] for e in medical) == sorted([str(world.child.pk), str(second.pk)])


def test_with_a_window_of_zero_every_read_is_audited(world: World, settings: Any) -> None:
    settings.FAMILY_READ_AUDIT_MINUTES = 0
    booking = _with_health_notes(world)
    before = AuditEvent.objects.count()

    for _ in range(3):
        booking_family_for(booking=booking, reader=world.sitter, now=booking.starts_at)

    assert AuditEvent.objects.count() - before == 6


def test_outside_the_window_or_for_anyone_else_nothing_is_read_or_audited(world: World) -> None:
    booking = _with_health_notes(world)
    before = AuditEvent.objects.count()

    assert booking_family_for(booking=booking, reader=world.sitter, now=booking.starts_at - timedelta(hours=3)) is None
    assert booking_family_for(booking=booking, reader=world.sitter, now=booking.ends_at) is None
    assert booking_family_for(booking=booking, reader=world.parent, now=booking.starts_at) is None
    assert AuditEvent.objects.count() == before
