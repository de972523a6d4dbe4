"""The figures of the booking rules: price by real elapsed time, request expiry, cancellation fee, config."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookings import policy
from bookings.models import BookingStatus
from bookings.transitions import TRANSITIONS, Party, allowed

BERLIN = ZoneInfo("Europe/Berlin")


def test_price_is_rate_times_real_elapsed_time_across_the_spring_change() -> None:
    # 29 March 2026: 02:00 does not exist in Berlin; 01:00-04:00 local is two real hours.
    start, end = datetime(2026, 3, 29, 1, tzinfo=BERLIN), datetime(2026, 3, 29, 4, tzinfo=BERLIN)

    assert policy.elapsed(start, end) == timedelta(hours=2)
    assert policy.price_for(hourly_rate=2500, starts_at=start, ends_at=end) == 5000


def test_price_across_the_autumn_change_counts_the_repeated_hour() -> None:
    start, end = datetime(2026, 10, 25, 1, tzinfo=BERLIN), datetime(2026, 10, 25, 4, tzinfo=BERLIN)

    assert policy.price_for(hourly_rate=2500, starts_at=start, ends_at=end) == 10000


def test_price_rounds_a_part_of_a_minor_unit_up() -> None:
    start = datetime(2026, 1, 5, 10, tzinfo=UTC)

    assert policy.price_for(hourly_rate=1001, starts_at=start, ends_at=start + timedelta(minutes=90)) == 1502


@pytest.mark.parametrize(
    ("hours_before", "fee"),
    [(48, 0), (24, 0), (23, 5000), (2, 5000), (1, 10000), (-1, 10000)],
)
def test_a_parents_cancellation_fee_follows_the_policy_tiers(hours_before: int, fee: int) -> None:
    now = datetime(2026, 1, 5, 10, tzinfo=UTC)

    got = policy.cancellation_fee(price=10000, starts_at=now + timedelta(hours=hours_before), now=now, by_sitter=False)

    assert got == fee


def test_a_sitters_cancellation_is_free() -> None:
    now = datetime(2026, 1, 5, 10, tzinfo=UTC)

    assert policy.cancellation_fee(price=10000, starts_at=now + timedelta(minutes=5), now=now, by_sitter=True) == 0


def test_a_last_minute_request_expires_sooner_and_never_after_its_start() -> None:
    now = datetime(2026, 1, 5, 10, tzinfo=UTC)

    assert policy.expiry_for(now=now, starts_at=now + timedelta(days=5)) == now + timedelta(hours=24)
    assert policy.expiry_for(now=now, starts_at=now + timedelta(hours=5)) == now + timedelta(hours=1)
    assert policy.expiry_for(now=now, starts_at=now + timedelta(minutes=20)) == now + timedelta(minutes=20)


def test_the_table_says_who_may_make_each_move() -> None:
    assert allowed(BookingStatus.REQUESTED, BookingStatus.ACCEPTED, Party.SITTER)
    assert not allowed(BookingStatus.REQUESTED, BookingStatus.ACCEPTED, Party.PARENT)
    assert not allowed(BookingStatus.DECLINED, BookingStatus.IN_PROGRESS, Party.SITTER)
    assert allowed(BookingStatus.CONFIRMED, BookingStatus.CANCELLED, Party.STAFF)
    # No move leaves a final status.
    finals = {BookingStatus.DECLINED, BookingStatus.EXPIRED, BookingStatus.CANCELLED}
    assert not [move for move in TRANSITIONS if move[0] in finals]
