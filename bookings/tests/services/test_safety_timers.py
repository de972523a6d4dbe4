"""Safety timers: a missed check-in alerts parent, sitter and staff once; a sitter can report the parent late."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.tests.factories import StaffFactory
from bookings.models import BookingStatus, SafetyAlert
from bookings.services import booking_check_in
from bookings.tests.factories import World
from bookings.tests.tracking_helpers import HOME, confirmed_soon, under_way
from bookings.tracking.services import (
    safety_check_in_missed_alert_due,
    safety_parent_overdue_raise,
)
from conftest import race
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError
from guardiannest.realtime.groups import STAFF_EMERGENCIES
from guardiannest.realtime.testing import GroupListener
from messaging.models import Notification


def alerted(kind: str) -> set[Any]:
    return set(Notification.objects.filter(kind=kind).values_list("user_id", flat=True))


@pytest.mark.django_db
def test_nothing_is_due_before_start_plus_the_grace(world: World, staff: User) -> None:
    booking = confirmed_soon(world)
    assert safety_check_in_missed_alert_due(now=booking.starts_at + timedelta(minutes=14)) == 0
    assert not SafetyAlert.objects.exists() and not alerted("booking.check_in_missed")


@pytest.mark.django_db
def test_a_missed_check_in_alerts_parent_sitter_and_staff_once(
    world: World, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    booking = confirmed_soon(world)
    late = booking.starts_at + timedelta(minutes=16)
    listener = GroupListener([STAFF_EMERGENCIES])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert safety_check_in_missed_alert_due(now=late) == 1
        envelope = listener.next_envelope()
    finally:
        listener.close()

    assert envelope["type"] == "safety.alert"
    assert envelope["data"]["kind"] == "check_in_missed" and envelope["data"]["booking_id"] == str(booking.pk)
    assert alerted("booking.check_in_missed") == {world.parent.pk, world.sitter.pk, staff.pk}
    notice = Notification.objects.filter(kind="booking.check_in_missed", user=world.parent).get()
    assert notice.category == "emergency" and world.sitter.first_name in notice.body
    assert AuditEvent.objects.filter(action="booking.check_in_missed", target_id=str(booking.pk)).count() == 1
    # the next run of the beat sends nothing more
    assert safety_check_in_missed_alert_due(now=late + timedelta(minutes=1)) == 0
    assert Notification.objects.filter(kind="booking.check_in_missed").count() == 3


@pytest.mark.django_db
def test_on_call_staff_are_paged_when_there_are_some(world: World, staff: User) -> None:
    on_call = StaffFactory(email="oncall@example.com")
    on_call.groups.add(Group.objects.create(name="On call"))
    booking = confirmed_soon(world)
    safety_check_in_missed_alert_due(now=booking.starts_at + timedelta(minutes=16))
    assert alerted("booking.check_in_missed") == {world.parent.pk, world.sitter.pk, on_call.pk}


@pytest.mark.django_db
def test_a_checked_in_or_cancelled_or_ended_booking_is_not_alerted(world: World, staff: User) -> None:
    booking = confirmed_soon(world, minutes=10)
    booking_check_in(booking_id=booking.pk, actor=world.sitter, **HOME)
    assert safety_check_in_missed_alert_due(now=booking.starts_at + timedelta(minutes=20)) == 0
    assert safety_check_in_missed_alert_due(now=booking.ends_at + timedelta(minutes=1)) == 0
    assert not SafetyAlert.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_the_missed_check_in_alert_once(world: World, staff: User) -> None:
    booking = confirmed_soon(world)
    late = booking.starts_at + timedelta(minutes=16)

    results = race(4, lambda: safety_check_in_missed_alert_due(now=late))

    counts = [result for result in results if isinstance(result, int)]
    assert len(counts) == 4, [result for result in results if not isinstance(result, int)]
    assert sorted(counts) == [0, 0, 0, 1]
    assert SafetyAlert.objects.filter(booking=booking).count() == 1
    assert Notification.objects.filter(kind="booking.check_in_missed").count() == 3


@pytest.mark.django_db
def test_the_sitter_reports_the_parent_late_after_the_end_once(world: World, staff: User) -> None:
    booking = under_way(world)
    with pytest.raises(ApplicationError) as early:
        safety_parent_overdue_raise(
            booking_id=booking.pk, sitter=world.sitter, now=booking.ends_at - timedelta(minutes=1)
        )
    assert early.value.code == "booking_not_ended"

    after = booking.ends_at + timedelta(minutes=20)
    alert, created = safety_parent_overdue_raise(booking_id=booking.pk, sitter=world.sitter, now=after)
    again, created_again = safety_parent_overdue_raise(booking_id=booking.pk, sitter=world.sitter, now=after)

    assert created and not created_again and again.pk == alert.pk
    assert alert.raised_by_id == world.sitter.pk
    assert alerted("booking.parent_overdue") == {world.parent.pk, staff.pk}  # the sitter raised it: not told
    assert Notification.objects.filter(kind="booking.parent_overdue").count() == 2


@pytest.mark.django_db
def test_only_the_sitter_of_an_in_progress_booking_can_report_the_parent_late(world: World, other_sitter: User) -> None:
    booking = confirmed_soon(world)
    after = booking.ends_at + timedelta(minutes=5)
    cases = [(world.sitter, "booking_not_in_progress"), (world.parent, "not_the_sitter"), (other_sitter, "not_found")]
    for who, code in cases:
        with pytest.raises(ApplicationError) as refused:
            safety_parent_overdue_raise(booking_id=booking.pk, sitter=who, now=after)
        assert refused.value.code == code
    assert not SafetyAlert.objects.exists()
    assert booking.status == BookingStatus.CONFIRMED
