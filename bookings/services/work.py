"""The booked time itself: check-in, check-out, and the parent confirming the hours (the capture)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from bookings import policy
from bookings.errors import BookingError
from bookings.models import Booking, BookingStatus, HoursStatus
from bookings.selectors import family_home
from bookings.services.overtime import booking_overtime_charge, booking_overtime_open
from bookings.services.payments import booking_worked_capture
from bookings.services.transition import (
    HOURS_CONFIRMED,
    booking_event_record,
    booking_transition,
    party_of,
    refuse,
)
from bookings.transitions import Party
from guardiannest.errors import ApplicationError, not_found
from payments.models import Payment
from sitters.models import ReliabilityKind
from sitters.selectors.search.geo import haversine_km
from sitters.services.calendar import hold_release
from sitters.services.clients import client_booking_recorded
from sitters.services.reliability import reliability_record

S = BookingStatus
# Worked time beyond the booking is paid in steps of this many minutes, rounded up.
OVERTIME_STEP_MINUTES = 15


def booking_check_in(*, booking_id: UUID, actor: User, latitude: Decimal, longitude: Decimal) -> Booking:
    """The sitter arrives: from ``BOOKING_CHECK_IN_OPENS_MINUTES`` before the start until the end.

    The place is kept; one farther than ``BOOKING_CHECK_IN_FLAG_KM`` from the
    family's home is flagged for the parent and staff, not refused.
    """
    now = timezone.now()

    def check_in(booking: Booking, party: Party) -> dict[str, Any]:
        if now < booking.starts_at - timedelta(minutes=settings.BOOKING_CHECK_IN_OPENS_MINUTES):
            raise ApplicationError(BookingError.CHECK_IN_TOO_EARLY, "Check-in opens shortly before the start.")
        if now >= booking.ends_at:
            raise ApplicationError(BookingError.CHECK_IN_TOO_LATE, "This booking has ended.")
        home = family_home(parent_id=booking.parent_id)
        distance = (
            None if home is None else haversine_km(float(home[0]), float(home[1]), float(latitude), float(longitude))
        )
        booking.checked_in_at, booking.check_in_latitude, booking.check_in_longitude = now, latitude, longitude
        booking.check_in_flagged = distance is not None and distance > settings.BOOKING_CHECK_IN_FLAG_KM
        return {"flagged": booking.check_in_flagged}

    booking, _ = booking_transition(booking_id=booking_id, target=S.IN_PROGRESS, actor=actor, change=check_in)
    return booking


def booking_check_out(*, booking_id: UUID, actor: User, latitude: Decimal, longitude: Decimal) -> Booking:
    """The sitter leaves: ``completed``, hours pending the parent's confirmation; the hold goes."""
    now = timezone.now()

    def check_out(booking: Booking, party: Party) -> dict[str, Any]:
        booking.checked_out_at, booking.check_out_latitude, booking.check_out_longitude = now, latitude, longitude
        booking.hours_status = HoursStatus.PENDING_CONFIRMATION
        hold_release(reference=booking.pk, actor=actor)
        client_booking_recorded(sitter_id=booking.sitter_id, parent_id=booking.parent_id, booked_at=booking.starts_at)
        reliability_record(
            sitter_id=booking.sitter_id, booking_id=booking.pk, kind=ReliabilityKind.COMPLETED, occurred_at=now
        )
        return {}

    booking, _ = booking_transition(booking_id=booking_id, target=S.COMPLETED, actor=actor, change=check_out)
    return booking


def worked_amount(booking: Booking) -> int:
    """What the confirmed hours cost: the booked price, or the time worked when longer (15-minute steps, up)."""
    assert booking.checked_in_at is not None
    assert booking.checked_out_at is not None
    worked = policy.elapsed(booking.checked_in_at, booking.checked_out_at)
    step = OVERTIME_STEP_MINUTES * 60
    seconds = math.ceil(worked.total_seconds() / step) * step
    start = booking.checked_in_at
    actual = policy.price_for(
        hourly_rate=booking.hourly_rate, starts_at=start, ends_at=start + timedelta(seconds=seconds)
    )
    return max(booking.price_amount, actual)


def booking_hours_confirm(
    *, booking_id: UUID, actor: User | None, reason: str = HOURS_CONFIRMED, now: datetime | None = None
) -> Booking:
    """The parent confirms the hours: the payment is captured, in one transaction; overtime beyond it after.

    The authorised payment gives up to its amount; worked time beyond that is
    recorded as owed in the same transaction and charged as a second payment
    once the confirmation has committed, retried by the beat when that fails
    (:mod:`bookings.services.overtime`).

    Confirming again changes nothing; only a completed booking with hours
    pending can be confirmed (409 ``hours_not_pending``). The platform
    (``actor`` None) confirms them the same way once the dispute window
    (``BOOKING_DISPUTE_WINDOW_HOURS`` after the check-out) has passed, and
    not before (409 ``transition_not_allowed``).
    """
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("parent", "sitter")
            .filter(pk=booking_id)
            .first()
        )
        if booking is None:
            raise not_found("No such booking.")
        party = party_of(booking, actor)
        if party not in (Party.PARENT, Party.SYSTEM):
            raise refuse(booking, S.COMPLETED)
        if booking.hours_status == HoursStatus.CONFIRMED:
            return booking
        if booking.status != S.COMPLETED or booking.hours_status != HoursStatus.PENDING_CONFIRMATION:
            raise ApplicationError(BookingError.HOURS_NOT_PENDING, "There are no hours to confirm.")
        if party == Party.SYSTEM and not dispute_window_closed(booking, now):
            raise refuse(booking, S.COMPLETED)
        amount, overtime = worked_amount(booking), 0
        if booking.payment_id is not None:
            payment = Payment.objects.get(pk=booking.payment_id)
            overtime = booking_worked_capture(payment=payment, amount=amount, actor=actor)
        booking.hours_status = HoursStatus.CONFIRMED
        booking.save()
        if overtime:  # beyond the authorisation: a second payment, owed from now on, tried after the commit
            charge = booking_overtime_open(booking=booking, amount=overtime)
            charge_id = charge.pk
            transaction.on_commit(lambda: booking_overtime_charge(charge_id=charge_id, actor=actor), robust=True)
        booking_event_record(
            booking=booking,
            previous=booking.status,
            actor=actor,
            party=party,
            reason=reason,
            data={"amount": amount, "overtime": overtime},
            move=HOURS_CONFIRMED,
        )
    return booking


def dispute_window_closed(booking: Booking, now: datetime) -> bool:
    """Whether the parent's time to dispute the hours (from the check-out) is over."""
    assert booking.checked_out_at is not None
    return now > booking.checked_out_at + timedelta(hours=settings.BOOKING_DISPUTE_WINDOW_HOURS)
