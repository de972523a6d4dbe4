"""Hours nobody confirmed or disputed confirm by themselves once the dispute window has passed (issue 14, item 6).

The beat job (``bookings.booking_hours_auto_confirm``) finds completed
bookings whose hours are still pending ``BOOKING_DISPUTE_WINDOW_HOURS``
after the check-out and confirms each through
:func:`~bookings.services.work.booking_hours_confirm`, the parent's own
confirmation, as the platform: the payment is captured the same way, the
event says ``auto-confirmed``, and both parties are told. Each row is
claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` re-checking that it is
still due, so workers running the job at once confirm (and capture) it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from bookings.models import Booking, BookingStatus, HoursStatus
from bookings.services.work import booking_hours_confirm
from guardiannest.errors import ApplicationError

logger = structlog.get_logger("bookings")

AUTO_CONFIRMED = "auto-confirmed"


def _due(now: datetime) -> QuerySet[Booking]:
    closed_before = now - timedelta(hours=settings.BOOKING_DISPUTE_WINDOW_HOURS)
    return Booking.objects.filter(
        status=BookingStatus.COMPLETED,
        hours_status=HoursStatus.PENDING_CONFIRMATION,
        checked_out_at__lt=closed_before,
    )


def booking_hours_auto_confirm(*, booking_id: UUID, now: datetime | None = None) -> bool:
    """Confirm one booking's hours if they are still pending past the window; False when another got there first.

    A row another worker holds is skipped, not waited for; one confirmed or
    disputed meanwhile is no longer due. A provider failure on the capture
    rolls the confirmation back (the hours stay pending for the next run)
    and is raised.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = (
            _due(now)
            .select_for_update(of=("self",), skip_locked=True)
            .filter(pk=booking_id)
            .values_list("pk", flat=True)
            .first()
        )
        if claimed is None:
            return False
        booking_hours_confirm(booking_id=booking_id, actor=None, reason=AUTO_CONFIRMED, now=now)
    return True


def booking_hours_auto_confirm_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """The beat job: confirm the hours whose dispute window has passed; answer how many this run confirmed."""
    now = now or timezone.now()
    confirmed = 0
    for booking_id in _due(now).order_by("checked_out_at").values_list("pk", flat=True)[:limit]:
        try:
            confirmed += booking_hours_auto_confirm(booking_id=booking_id, now=now)
        except ApplicationError as exc:  # the provider refused or is down: the next run tries again
            logger.warning("booking_hours_auto_confirm_failed", booking_id=str(booking_id), code=str(exc.code))
    return confirmed
