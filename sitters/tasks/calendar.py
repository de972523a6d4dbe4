"""Celery tasks: calendar.

Beat entry (guardiannest/celery.py, ``sitters-availability-extend``): every
six hours, so each time zone's new day is materialised within hours of its
midnight, long before the horizon's last day could be booked.
"""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from sitters.services.calendar import availability_extend_due


@shared_task(name="sitters.availability_extend")
def availability_extend() -> dict[str, int]:
    """Move every due sitter's spans forward to local today + horizon and drop spans long over (idempotent)."""
    return asdict(availability_extend_due())
