"""Reliability, write side: the booking flow records each booking's outcome for the sitter (bookings call this).

Recorded in the caller's transaction (the one that completes, cancels or
marks the booking a no-show); one row per booking and kind, so recording
again changes nothing. The public profile's cache entry is dropped after
commit, since it shows the figures.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction

from guardiannest.errors import invalid
from sitters.cache import sitter_changed_on_commit
from sitters.models import ReliabilityEvent, ReliabilityKind, SitterProfile


def reliability_record(*, sitter_id: UUID, booking_id: UUID, kind: ReliabilityKind, occurred_at: datetime) -> bool:
    """Count one outcome of ``booking_id`` for the sitter; False when it was counted already."""
    if kind not in ReliabilityKind.values:
        raise invalid("kind", f"One of {', '.join(ReliabilityKind.values)}.")
    with transaction.atomic():
        if not SitterProfile.objects.filter(pk=sitter_id).exists():
            raise invalid("sitter_id", "No sitter has this id.")
        _, created = ReliabilityEvent.objects.get_or_create(
            booking_id=booking_id, kind=kind, defaults={"sitter_id": sitter_id, "occurred_at": occurred_at}
        )
        if created:
            sitter_changed_on_commit(sitter_id)
    return created
