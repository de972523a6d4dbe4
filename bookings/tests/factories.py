"""A world in which a parent can book a sitter: a verified, available sitter near a family with a child."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import Child, ParentProfile, User
from accounts.tests.factories import ChildFactory, ParentProfileFactory
from bookings.models import Booking
from bookings.services import booking_accept, booking_check_in, booking_check_out, booking_create
from payments.providers.simulated import SimulatedProvider
from payments.services import customer_for, payment_methods_sync
from sitters.models import SitterProfile
from sitters.services.calendar import availability_set, local_today
from sitters.tests.factories import SitterProfileFactory

BERLIN = ZoneInfo("Europe/Berlin")
ALL_DAY = [(day, 0, 24 * 60) for day in range(7)]


def berlin(hour: int, days: int = 3, minute: int = 0) -> datetime:
    """A Berlin wall-clock time ``days`` from today."""
    return datetime.combine(local_today(BERLIN) + timedelta(days=days), time(hour, minute), tzinfo=BERLIN)


def bookable_sitter(user: User, **profile: Any) -> SitterProfile:
    """A verified sitter in Berlin (rate 2500/h, 15 km), available around the clock."""
    made = SitterProfileFactory(user=user, **profile)
    return availability_set(profile=made, timezone="Europe/Berlin", windows=ALL_DAY, actor=None)


def family(parent: User, **home: Any) -> Child:
    """The parent's home near the sitter, and one child; answers the child."""
    place = {"latitude": "52.510000", "longitude": "13.400000"} | home
    profile = ParentProfile.objects.filter(user=parent).first()
    if profile is None:
        ParentProfileFactory(user=parent, **place)
    else:  # saved, not update()d: the coordinates are encrypted for their row
        for name, value in place.items():
            setattr(profile, name, value)
        profile.save()
    return ChildFactory(parent=parent)


@dataclass
class World:
    parent: User
    sitter: User
    child: Child

    def book(self, start: datetime | None = None, hours: int = 3, **kwargs: Any) -> Booking:
        start = start or berlin(10)
        return booking_create(
            parent=self.parent,
            sitter_id=self.sitter.pk,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            child_ids=[self.child.pk],
            **kwargs,
        )


def declining_card(parent: User) -> None:
    """Give the parent a newest card the simulated provider declines (Stripe's 0341)."""
    customer = customer_for(parent=parent)
    SimulatedProvider().card_add(customer_id=customer.provider_customer_id, last4="0341")
    payment_methods_sync(customer=customer)


HOME = {"latitude": Decimal("52.510000"), "longitude": Decimal("13.400000")}


def confirmed_soon(world: World, minutes: int = 20, hours: int = 2) -> Booking:
    """A booking accepted (and so confirmed, the simulated card authorises) that starts in ``minutes``."""
    start = timezone.now() + timedelta(minutes=minutes)
    return booking_accept(booking_id=world.book(start=start, hours=hours).pk, actor=world.sitter)


def completed(world: World) -> Booking:
    """A booking checked in and out: completed, its hours pending the parent's confirmation."""
    booking = confirmed_soon(world)
    booking_check_in(booking_id=booking.pk, actor=world.sitter, **HOME)
    return booking_check_out(booking_id=booking.pk, actor=world.sitter, **HOME)


def moved(booking: Booking, *, starts_at: datetime, hours: int = 2) -> Booking:
    """The booking as if the clock had run on: its period set to start at ``starts_at`` (setup only)."""
    Booking.objects.filter(pk=booking.pk).update(starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours))
    return Booking.objects.get(pk=booking.pk)
