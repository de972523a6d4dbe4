"""Celery tasks of bookings: thin wrappers around its services, each safe to run twice."""

from __future__ import annotations

from celery import shared_task

from bookings.services import booking_expire_due, booking_hours_auto_confirm_due


@shared_task(name="bookings.booking_expire_unanswered")
def booking_expire_unanswered() -> int:
    """Expire the requests nobody answered in time (beat, every minute); rows are claimed one by one."""
    return booking_expire_due()


@shared_task(name="bookings.booking_hours_auto_confirm")
def booking_hours_auto_confirm() -> int:
    """Confirm the hours left pending past the dispute window (beat); each row claimed with SKIP LOCKED."""
    return booking_hours_auto_confirm_due()
