"""A family in a booking with its emergency contacts, and helpers that raise and climb alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from accounts.models import EmergencyContact, User
from accounts.tests.factories import EmergencyContactFactory
from bookings.models import Booking
from bookings.tests.factories import World
from emergencies.models import Emergency, EscalationStep
from emergencies.services import sos_raise
from messaging.models import Delivery, Notification

BERLIN_LAT, BERLIN_LON = "52.520008", "13.404954"


@dataclass
class Family:
    world: World
    booking: Booking
    contacts: list[EmergencyContact] = field(default_factory=list)

    @property
    def parent(self) -> User:
        return self.world.parent

    @property
    def sitter(self) -> User:
        return self.world.sitter


def contacts_for(parent: User) -> list[EmergencyContact]:
    """Three contacts, created out of priority order (the ladder must put them in order)."""
    return [
        EmergencyContactFactory(parent=parent, name="Third Contact", phone="+14155550303", priority=3),
        EmergencyContactFactory(parent=parent, name="First Contact", phone="+14155550101", priority=1),
        EmergencyContactFactory(parent=parent, name="Second Contact", phone="+14155550202", priority=2),
    ]


def raise_sos(actor: User, booking: Booking | None = None, device: str = "device-1", **values: Any) -> Emergency:
    emergency, _ = sos_raise(
        actor=actor,
        booking_id=booking.pk if booking else None,
        latitude=values.pop("latitude", BERLIN_LAT),
        longitude=values.pop("longitude", BERLIN_LON),
        device=device,
        **values,
    )
    return emergency


def step(emergency: Emergency, number: int) -> EscalationStep:
    return EscalationStep.objects.get(emergency=emergency, number=number)


def after(emergency: Emergency, escalations: int, extra: int = 11) -> datetime:
    """A clock ``escalations`` ladder intervals after the raise, past the re-drive's grace."""
    return emergency.created_at + timedelta(seconds=settings.EMERGENCY_ESCALATION_SECONDS * escalations + extra)


def notifications_of(emergency: Emergency, number: int) -> list[Notification]:
    ids = [notice["notification_id"] for notice in step(emergency, number).notices]
    found = {str(n.pk): n for n in Notification.objects.filter(pk__in=ids)}
    return [found[i] for i in ids]


def deliveries_of(emergency: Emergency, number: int) -> list[Delivery]:
    ids = [notice["notification_id"] for notice in step(emergency, number).notices]
    return list(Delivery.objects.filter(notification_id__in=ids))
