"""Celery tasks of bookings: thin wrappers around its services, each safe to run twice."""

from __future__ import annotations

from celery import shared_task

from bookings.services import booking_expire_due, booking_hours_auto_confirm_due
from bookings.services.overtime import booking_overtime_charge_due
from bookings.services.reminders import booking_remind_due


@shared_task(name="bookings.booking_expire_unanswered")
def booking_expire_unanswered() -> int:
    """Expire the requests nobody answered in time (beat, every minute); rows are claimed one by one."""
    return booking_expire_due()


@shared_task(name="bookings.booking_hours_auto_confirm")
def booking_hours_auto_confirm() -> int:
    """Confirm the hours left pending past the dispute window (beat); each row claimed with SKIP LOCKED."""
    return booking_hours_auto_confirm_due()


@shared_task(name="bookings.booking_remind_due")
def booking_remind_due_task() -> int:
    """Send the reminders 24 h and 2 h before each start (beat, every minute); each is claimed before it is sent."""
    return booking_remind_due()


@shared_task(name="bookings.booking_overtime_charge_due")
def booking_overtime_charge_due_task() -> dict[str, int]:
    """Try the overtime charges that are due again (beat); each row is claimed with SKIP LOCKED per attempt."""
    return booking_overtime_charge_due()
