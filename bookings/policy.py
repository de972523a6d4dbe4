"""The booking rules that are figures: price, request expiry, cancellation fee. Read from settings, as data.

``GET config`` shows the same figures (:func:`config`), so apps never hard-code them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

SECONDS_PER_HOUR = 3600


def elapsed(starts_at: datetime, ends_at: datetime) -> timedelta:
    """The real time between two aware instants.

    Both are taken to UTC first: Python subtracts two datetimes sharing one
    tzinfo by wall clock, so 01:00-04:00 across a DST change would be 3 hours
    instead of the 2 or 4 that really pass.
    """
    return ends_at.astimezone(UTC) - starts_at.astimezone(UTC)


def price_for(*, hourly_rate: int, starts_at: datetime, ends_at: datetime) -> int:
    """Rate x real elapsed time, in minor units, rounded up to the next whole unit."""
    seconds = int(elapsed(starts_at, ends_at).total_seconds())
    return -(-hourly_rate * seconds // SECONDS_PER_HOUR)


def min_duration() -> timedelta:
    return timedelta(minutes=settings.BOOKING_MIN_MINUTES)


def expiry_for(*, now: datetime, starts_at: datetime) -> datetime:
    """When a request made ``now`` expires unanswered: sooner for a last-minute one, never after its start."""
    last_minute = starts_at - now < timedelta(hours=settings.BOOKING_LAST_MINUTE_HOURS)
    minutes = settings.BOOKING_LAST_MINUTE_EXPIRY_MINUTES if last_minute else settings.BOOKING_REQUEST_EXPIRY_MINUTES
    return min(now + timedelta(minutes=minutes), starts_at)


def cancellation_fee(*, price: int, starts_at: datetime, now: datetime, by_sitter: bool) -> int:
    """The fee of a cancellation ``now``: the policy's first tier the notice reaches; a sitter's is free."""
    if by_sitter:
        return 0
    notice = starts_at - now
    for tier in settings.BOOKING_CANCELLATION_POLICY:
        if notice >= timedelta(hours=tier["hours_before_start"]):
            return price * tier["fee_percent"] // 100
    return price  # after the start: everything


def config() -> dict[str, Any]:
    """What ``GET config`` answers: the platform's figures apps must not hard-code."""
    return {
        "currency": settings.PLATFORM_CURRENCY,
        "min_booking_minutes": settings.BOOKING_MIN_MINUTES,
        "platform_fee_percent": float(settings.PLATFORM_FEE_PERCENT),
        "cancellation_policy": [dict(tier) for tier in settings.BOOKING_CANCELLATION_POLICY],
        "request_expiry_minutes": settings.BOOKING_REQUEST_EXPIRY_MINUTES,
        "last_minute_request_expiry_minutes": settings.BOOKING_LAST_MINUTE_EXPIRY_MINUTES,
        "last_minute_hours": settings.BOOKING_LAST_MINUTE_HOURS,
        "check_in_opens_minutes": settings.BOOKING_CHECK_IN_OPENS_MINUTES,
        "no_show_grace_minutes": settings.BOOKING_NO_SHOW_GRACE_MINUTES,
        "dispute_window_hours": settings.BOOKING_DISPUTE_WINDOW_HOURS,
        "family_data_hours_before": settings.BOOKING_FAMILY_DATA_HOURS_BEFORE,
        "max_sitters_per_request": settings.BOOKING_REQUEST_MAX_SITTERS,
    }
