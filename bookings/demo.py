"""Demo bookings for ``make run``: one in each status between the demo parents and sitters (README, demo).

Registered in ``demo_seeders`` under ``"bookings"`` (after accounts and
sitters, whose users it needs). Idempotent: each booking has a fixed id
(a UUID5 of its name) and is made only when that id is free, so running
``seed_demo`` again changes nothing.

Bookings in the past, or under way now, cannot be made through
``booking_create`` (a request starts in the future), so the rows are written
here as the services would have left them: the history as booking events,
the sitter's hold for held statuses, the payment through the payments
services (authorised; captured for the confirmed hours), the review through
``booking_review_submit`` and its reply, the completion in the sitter's
reliability and families. The booking in progress started an hour before the
first seed and ends two hours after it, so its live tracking can be tried.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import Child, User
from bookings import policy
from bookings.models import HELD, Booking, BookingEvent, BookingStatus, HoursStatus
from bookings.selectors import family_home
from bookings.services.reviews import booking_review_reply, booking_review_submit
from guardiannest.registries import DemoLogin
from payments.models import PaymentStatus
from payments.services import payment_authorise, payment_capture
from sitters.models import ReliabilityKind, SitterProfile
from sitters.services.calendar import hold_place
from sitters.services.clients import client_booking_recorded
from sitters.services.reliability import reliability_record

ZONE = ZoneInfo("Europe/Berlin")
NAMESPACE = uuid.UUID("6f1c2b1e-5d0a-4c55-9a53-9e1d7c6a0b42")
S = BookingStatus
# The path each status is reached by, from the request.
PATHS: dict[str, list[str]] = {
    S.REQUESTED: [],
    S.ACCEPTED: [S.ACCEPTED],
    S.CONFIRMED: [S.ACCEPTED, S.CONFIRMED],
    S.IN_PROGRESS: [S.ACCEPTED, S.CONFIRMED, S.IN_PROGRESS],
    S.COMPLETED: [S.ACCEPTED, S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED],
    S.DISPUTED: [S.ACCEPTED, S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED, S.DISPUTED],
    S.DECLINED: [S.DECLINED],
    S.EXPIRED: [S.EXPIRED],
    S.CANCELLED: [S.ACCEPTED, S.CONFIRMED, S.CANCELLED],
}


@dataclass(frozen=True)
class DemoBooking:
    name: str
    parent: str  # the demo login's first part: parent.<name>@guardiannest.demo
    sitter: str
    status: str
    start: datetime
    hours: int
    notes: str = ""
    reason: str = ""


def _local(days: int, hour: int) -> datetime:
    """``hour`` o'clock Berlin time, ``days`` from today."""
    return datetime.combine(timezone.localdate() + timedelta(days=days), time(hour), tzinfo=ZONE)


def demo_bookings(now: datetime) -> list[DemoBooking]:
    return [
        DemoBooking("requested", "anna", "chloe", S.REQUESTED, _local(5, 18), 3, "Bedtime at 20:00."),
        DemoBooking("accepted", "ben", "dev", S.ACCEPTED, _local(6, 9), 4, "Waiting for the card."),
        DemoBooking("confirmed", "anna", "dev", S.CONFIRMED, _local(3, 8), 4, "School run and lunch."),
        DemoBooking(
            "in-progress",
            "anna",
            "emma",
            S.IN_PROGRESS,
            now.replace(second=0, microsecond=0) - timedelta(hours=1),
            3,
            "Park, then homework.",
        ),
        DemoBooking("completed", "ben", "farah", S.COMPLETED, _local(-7, 16), 3, "Speech games."),
        DemoBooking("disputed", "ben", "chloe", S.DISPUTED, _local(-1, 17), 4, "", "Left an hour early."),
        DemoBooking("declined", "ben", "gabriel", S.DECLINED, _local(4, 15), 3, "", "Away that weekend."),
        DemoBooking("expired", "anna", "hana", S.EXPIRED, _local(-3, 20), 3),
        DemoBooking("cancelled", "anna", "julia", S.CANCELLED, _local(8, 8), 3, "", "Grandma is visiting."),
    ]


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"booking:{name}")


def _user(email: str) -> User | None:
    return User.objects.filter(email=email).first()


def _history(booking: Booking, steps: list[str], parent: User, sitter: User, reason: str) -> None:
    actors = {S.ACCEPTED: sitter, S.DECLINED: sitter, S.IN_PROGRESS: sitter, S.COMPLETED: sitter}
    BookingEvent.objects.create(booking=booking, actor=parent, from_status="", to_status=S.REQUESTED)
    previous: str = S.REQUESTED
    for step in steps:
        actor = None if step in (S.CONFIRMED, S.EXPIRED) else actors.get(S(step), parent)
        why = reason if step in (S.DECLINED, S.CANCELLED, S.DISPUTED) else ""
        BookingEvent.objects.create(booking=booking, actor=actor, from_status=previous, to_status=step, reason=why)
        previous = step


def _pay(booking: Booking, parent: User, sitter: User) -> None:
    """Authorise the price (confirmed and later); capture it when the hours are confirmed."""
    payment = payment_authorise(
        payer=parent, payee=sitter, amount=booking.price_amount, reference=str(booking.pk), actor=None
    )
    if payment.status == PaymentStatus.AUTHORISED and booking.hours_status == HoursStatus.CONFIRMED:
        payment = payment_capture(payment=payment, amount=booking.price_amount, actor=None)
    Booking.objects.filter(pk=booking.pk).update(payment=payment)


def _make(spec: DemoBooking, now: datetime) -> Booking | None:
    parent = _user(f"parent.{spec.parent}@guardiannest.demo")
    sitter = _user(f"sitter.{spec.sitter}@guardiannest.demo")
    profile = SitterProfile.objects.filter(user=sitter).first() if sitter else None
    children = list(Child.objects.filter(parent=parent).order_by("created_at")) if parent else []
    if parent is None or sitter is None or profile is None or profile.hourly_rate is None or not children:
        return None  # the accounts or sitters demo is missing: nothing to book
    starts_at, ends_at = spec.start, spec.start + timedelta(hours=spec.hours)
    latitude, longitude = family_home(parent_id=parent.pk) or (None, None)
    steps = PATHS[spec.status]
    worked = S.IN_PROGRESS in steps
    done = S.COMPLETED in steps
    booking = Booking.objects.create(
        id=_id(spec.name),
        parent=parent,
        sitter=sitter,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=str(ZONE),
        hourly_rate=profile.hourly_rate,
        price_amount=policy.price_for(hourly_rate=profile.hourly_rate, starts_at=starts_at, ends_at=ends_at),
        currency=settings.PLATFORM_CURRENCY,
        status=spec.status,
        notes=spec.notes,
        expires_at=policy.expiry_for(now=now, starts_at=starts_at) if spec.status == S.REQUESTED else starts_at,
        cancelled_by=parent if spec.status == S.CANCELLED else None,
        cancel_reason=spec.reason if spec.status == S.CANCELLED else "",
        checked_in_at=starts_at + timedelta(minutes=2) if worked else None,
        check_in_latitude=latitude if worked else None,
        check_in_longitude=longitude if worked else None,
        checked_out_at=ends_at if done else None,
        check_out_latitude=latitude if done else None,
        check_out_longitude=longitude if done else None,
        hours_status=(
            HoursStatus.CONFIRMED
            if spec.status == S.COMPLETED
            else HoursStatus.PENDING_CONFIRMATION
            if done
            else HoursStatus.NONE
        ),
    )
    booking.children.set(children[:1] if spec.parent == "ben" else children)
    _history(booking, steps, parent, sitter, spec.reason)
    if spec.status in HELD:
        hold_place(
            sitter_id=profile.pk, starts_at=starts_at, ends_at=ends_at, reference=booking.pk, require_available=False
        )
    if S.CONFIRMED in steps and spec.status != S.CANCELLED:
        _pay(booking, parent, sitter)
    if done:
        client_booking_recorded(sitter_id=profile.pk, parent_id=parent.pk, booked_at=starts_at)
        reliability_record(
            sitter_id=profile.pk, booking_id=booking.pk, kind=ReliabilityKind.COMPLETED, occurred_at=ends_at
        )
    if spec.status == S.COMPLETED:
        booking_review_submit(
            booking_id=booking.pk,
            actor=parent,
            rating=5,
            comment="Farah was wonderful: Noah asked when she comes back.",
        )
        booking_review_reply(booking_id=booking.pk, actor=sitter, comment="Thank you! Noah was a joy to look after.")
    return booking


def seed() -> list[DemoLogin]:
    """Make the demo bookings whose ids are free; no new logins."""
    now = timezone.now()
    for spec in demo_bookings(now):
        if not Booking.objects.filter(pk=_id(spec.name)).exists():
            _make(spec, now)
    return []
