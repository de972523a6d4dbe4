"""Reminders 24 hours and 2 hours before a booking starts, to both parties, through notify.

Each reminder has its sent-marker on the booking (``reminder_24h_sent_at``,
``reminder_2h_sent_at``). A worker claims a reminder by a conditional update
that sets the marker only where it is still empty, and notifies in the same
transaction: the update count says whether this worker won, so workers racing
on the beat job send each reminder once, and a worker that dies before commit
leaves the marker empty for the next run. Only bookings that hold the sitter
and have not started are reminded; a booking made less than 2 hours ahead
gets only the 2-hour reminder. The channels (email, push, SMS) are the
``booking.reminder`` kind's, as each person's preferences allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from bookings.models import Booking, BookingStatus
from messaging.services.notifications import NotifyRequest, notify_bulk

KIND = "booking.reminder"
# Reminded while they hold the sitter and have not started.
REMINDED = (BookingStatus.ACCEPTED, BookingStatus.CONFIRMED)


@dataclass(frozen=True)
class Reminder:
    name: str
    lead: timedelta  # sent once the start is this close
    marker: str  # the booking's sent-marker field
    until: timedelta = timedelta(0)  # not sent once the start is this close (a later reminder covers it)


REMINDERS = (
    Reminder("24h", timedelta(hours=24), "reminder_24h_sent_at", until=timedelta(hours=2)),
    Reminder("2h", timedelta(hours=2), "reminder_2h_sent_at"),
)


def _due(reminder: Reminder, now: datetime) -> dict[str, object]:
    return {
        "status__in": REMINDED,
        "starts_at__lte": now + reminder.lead,
        "starts_at__gt": now + reminder.until,
        f"{reminder.marker}__isnull": True,
    }


def booking_remind(*, booking_id: UUID, reminder: Reminder, now: datetime | None = None) -> bool:
    """Send ``reminder`` for one booking if it is due and unsent; False when another worker sent it or it is not due."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Booking.objects.filter(pk=booking_id, **_due(reminder, now)).update(**{reminder.marker: now})
        if claimed != 1:
            return False
        booking = Booking.objects.select_related("parent", "sitter").get(pk=booking_id)
        starts_at = booking.starts_at.astimezone(ZoneInfo(booking.timezone))
        requests = [
            NotifyRequest(
                user=user,
                kind=KIND,
                context={
                    "booking_id": str(booking.pk),
                    "other_name": other.first_name or other.email,
                    "starts_at": starts_at,
                    "reminder": reminder.name,
                },
            )
            for user, other in ((booking.parent, booking.sitter), (booking.sitter, booking.parent))
        ]
        notify_bulk(requests=requests)
    return True


def booking_remind_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send every due reminder (the beat job, every minute); answer how many this run sent."""
    now = now or timezone.now()
    sent = 0
    for reminder in REMINDERS:
        due = Booking.objects.filter(**_due(reminder, now)).order_by("starts_at").values_list("pk", flat=True)
        sent += sum(booking_remind(booking_id=pk, reminder=reminder, now=now) for pk in due[:limit])
    return sent
