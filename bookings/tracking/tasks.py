"""Beat jobs of live tracking and safety timers: thin wrappers, each safe to run twice or on two workers at once."""

from __future__ import annotations

from celery import shared_task

from bookings.tracking.services import locations_purge, safety_check_in_missed_alert_due


@shared_task(name="bookings.locations_purge")
def locations_purge_task() -> int:
    """Delete locations LOCATION_RETENTION_DAYS after their booking ended (hourly, in batches)."""
    return locations_purge()


@shared_task(name="bookings.safety_check_in_missed_alert_due")
def safety_check_in_missed_alert_due_task() -> int:
    """Alert the bookings whose check-in is overdue (every minute); each booking is claimed once."""
    return safety_check_in_missed_alert_due()
