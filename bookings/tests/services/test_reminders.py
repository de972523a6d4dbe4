"""Reminders 24 h and 2 h before the start: both parties, channels by preference, sent once by racing workers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from bookings.services import booking_accept, booking_cancel
from bookings.services.reminders import booking_remind_due
from bookings.tasks import booking_remind_due_task
from bookings.tests.factories import World, bookable_sitter, family
from conftest import race
from guardiannest.registries import beat_entries
from messaging.models import Delivery, Notification
from messaging.services.preferences import preferences_update

pytestmark = pytest.mark.django_db


def confirmed_in(world: World, hours: float) -> Booking:
    start = timezone.now() + timedelta(hours=hours)
    return booking_accept(booking_id=world.book(start=start, hours=2).pk, actor=world.sitter)


def reminders() -> list[tuple[Any, str]]:
    rows = Notification.objects.filter(kind="booking.reminder").values_list("user_id", "data")
    return sorted((user_id, data["booking_id"]) for user_id, data in rows)


def test_a_booking_a_day_ahead_reminds_both_parties_once(world: World) -> None:
    booking = confirmed_in(world, hours=20)

    assert booking_remind_due() == 1
    assert booking_remind_due_task.apply().get() == 0  # nothing more to send

    expected = sorted([(world.parent.pk, str(booking.pk)), (world.sitter.pk, str(booking.pk))])
    assert reminders() == expected
    booking.refresh_from_db()
    assert booking.reminder_24h_sent_at is not None and booking.reminder_2h_sent_at is None


def test_two_hours_before_the_second_reminder_goes_and_the_first_is_skipped(world: World) -> None:
    booking = confirmed_in(world, hours=1.5)

    booking_remind_due()

    booking.refresh_from_db()
    assert (booking.reminder_24h_sent_at, booking.reminder_2h_sent_at is not None) == (None, True)
    assert len(reminders()) == 2


def test_both_reminders_over_a_bookings_last_day(world: World) -> None:
    booking = confirmed_in(world, hours=20)
    booking_remind_due()

    sent_later = booking_remind_due(now=booking.starts_at - timedelta(minutes=100))

    assert sent_later == 1
    assert len(reminders()) == 4


def test_requests_cancelled_and_far_bookings_are_not_reminded(world: World) -> None:
    world.book(start=timezone.now() + timedelta(hours=5))  # requested only
    cancelled = confirmed_in(world, hours=8)
    booking_cancel(booking_id=cancelled.pk, actor=world.sitter)
    confirmed_in(world, hours=30)  # too far yet

    assert booking_remind_due() == 0
    assert reminders() == []


def test_channels_follow_each_persons_preferences(world: World) -> None:
    preferences_update(user=world.parent, changes={"booking": {"sms": False, "push": False}})
    confirmed_in(world, hours=20)

    booking_remind_due()

    def channels(user: User) -> set[str]:
        rows = Delivery.objects.filter(notification__user=user, kind="booking.reminder")
        return set(rows.values_list("channel", flat=True))

    assert channels(world.parent) == {"email"}
    assert channels(world.sitter) == {"email", "push", "sms"}


def test_the_reminder_job_runs_every_minute() -> None:
    entry = beat_entries.get("bookings-remind")

    assert entry is not None and entry["task"] == "bookings.booking_remind_due" and entry["schedule"] == 60.0


WORKERS = 6


@pytest.mark.django_db(transaction=True)
def test_six_workers_racing_send_each_reminder_once(parent: User, sitter: User) -> None:
    bookable_sitter(sitter)
    world = World(parent=parent, sitter=sitter, child=family(parent))
    bookings = [confirmed_in(world, hours=hours) for hours in (5, 9, 13)]

    outcomes = race(WORKERS, booking_remind_due, timeout=60)

    assert len(outcomes) == WORKERS and all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(o for o in outcomes if isinstance(o, int)) == len(bookings)
    assert len(reminders()) == 2 * len(bookings)
    assert len(set(reminders())) == 2 * len(bookings)
