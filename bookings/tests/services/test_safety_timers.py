"""Safety timers, bookings' side: when a timer fires (once), when its reason is gone, and the alerter it hands to.

The alerter is the one emergencies register when they load (the real wiring,
nothing patched); what their alert does then (the ladder, the sockets, the
admin) is emergencies/tests/services/test_timers.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, BookingStatus, SafetyAlert
from bookings.services import booking_cancel, booking_check_in, booking_check_out
from bookings.tests.factories import World, moved
from bookings.tests.tracking_helpers import HOME, confirmed_soon, under_way
from bookings.tracking.alerts import safety_alerter, safety_alerters
from bookings.tracking.services import (
    safety_check_in_missed_alert,
    safety_check_in_missed_alert_due,
    safety_parent_overdue_raise,
)
from conftest import race
from guardiannest.errors import ApplicationError


@pytest.mark.django_db
def test_nothing_is_due_before_start_plus_the_grace(world: World, staff: User) -> None:
    booking = confirmed_soon(world)
    assert safety_check_in_missed_alert_due(now=booking.starts_at + timedelta(minutes=14)) == 0
    assert not SafetyAlert.objects.exists()


@pytest.mark.django_db
def test_a_missed_check_in_is_claimed_once_and_handed_to_the_alerter(world: World, staff: User) -> None:
    booking = confirmed_soon(world)
    late = booking.starts_at + timedelta(minutes=16)

    assert safety_check_in_missed_alert_due(now=late) == 1

    claim = SafetyAlert.objects.get(booking=booking)
    assert claim.kind == "missed_check_in" and claim.raised_by_id is None and claim.settled_at is None
    assert claim.alert_id is not None  # the alerter's alert
    # the next run of the beat, and a direct call, open nothing more
    assert safety_check_in_missed_alert_due(now=late + timedelta(minutes=1)) == 0
    assert safety_check_in_missed_alert(booking_id=booking.pk, now=late + timedelta(minutes=2)) is None
    assert SafetyAlert.objects.filter(booking=booking).count() == 1


@pytest.mark.django_db
def test_a_checked_in_or_ended_booking_is_not_alerted(world: World, staff: User) -> None:
    booking = confirmed_soon(world, minutes=10)
    booking_check_in(booking_id=booking.pk, actor=world.sitter, **HOME)
    assert safety_check_in_missed_alert_due(now=booking.starts_at + timedelta(minutes=20)) == 0
    assert safety_check_in_missed_alert_due(now=booking.ends_at + timedelta(minutes=1)) == 0
    assert not SafetyAlert.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_racing_beat_jobs_claim_the_missed_check_in_once(world: World, staff: User) -> None:
    booking = confirmed_soon(world)
    late = booking.starts_at + timedelta(minutes=16)

    results = race(4, lambda: safety_check_in_missed_alert_due(now=late))

    counts = [result for result in results if isinstance(result, int)]
    assert len(counts) == 4, [result for result in results if not isinstance(result, int)]
    assert sorted(counts) == [0, 0, 0, 1]
    assert SafetyAlert.objects.filter(booking=booking).count() == 1


@pytest.mark.django_db
def test_a_late_check_in_settles_the_missed_check_in(world: World, staff: User) -> None:
    booking = moved(confirmed_soon(world), starts_at=timezone.now() - timedelta(minutes=16))  # due now
    assert safety_check_in_missed_alert_due() == 1

    booking_check_in(booking_id=booking.pk, actor=world.sitter, **HOME)

    claim = SafetyAlert.objects.get(booking=booking)
    assert claim.settled_at is not None


@pytest.mark.django_db
def test_a_cancellation_settles_the_missed_check_in_too(world: World, staff: User) -> None:
    booking = moved(confirmed_soon(world), starts_at=timezone.now() - timedelta(minutes=16))
    assert safety_check_in_missed_alert_due() == 1

    booking_cancel(booking_id=booking.pk, actor=world.parent)

    assert SafetyAlert.objects.get(booking=booking).settled_at is not None


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
    assert alert.kind == "parent_overdue" and alert.raised_by_id == world.sitter.pk
    assert alert.alert_id is not None and again.alert_id == alert.alert_id


@pytest.mark.django_db
def test_the_check_out_settles_the_parent_overdue(world: World, staff: User) -> None:
    booking = under_way(world)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=booking.starts_at - timedelta(hours=3), ends_at=booking.ends_at - timedelta(hours=3)
    )
    alert, _ = safety_parent_overdue_raise(booking_id=booking.pk, sitter=world.sitter)

    booking_check_out(booking_id=booking.pk, actor=world.sitter, **HOME)

    alert.refresh_from_db()
    assert alert.settled_at is not None


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


@pytest.mark.django_db
def test_without_an_alerter_the_timer_fails_and_stays_due(world: World, staff: User) -> None:
    """A deployment without the alerting app must not swallow the timer: nothing is claimed, the next run retries."""
    booking = confirmed_soon(world)
    late = booking.starts_at + timedelta(minutes=16)
    registered = safety_alerter()
    safety_alerters.unregister("emergencies")
    try:
        with pytest.raises(RuntimeError, match="exactly one alerter"):
            safety_check_in_missed_alert_due(now=late)
        assert not SafetyAlert.objects.exists()
    finally:
        safety_alerters.register("emergencies", registered)
    assert safety_check_in_missed_alert_due(now=late) == 1
