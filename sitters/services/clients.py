"""Families a sitter has worked for: the booking flow records each completed booking here.

Not idempotent per call: each call counts one more completed booking, so
the booking flow calls it once, in the transaction that completes the
booking. Concurrent calls for one sitter queue on the profile's row lock, so
the count is exact and the first/last dates only ever widen.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction

from accounts.models import Role, User
from guardiannest.errors import invalid
from sitters.models import SitterClient
from sitters.services.locks import sitter_profile_lock


def client_booking_recorded(*, sitter_id: UUID, parent_id: UUID, booked_at: datetime) -> SitterClient:
    """Count one completed booking of ``parent_id`` with ``sitter_id`` (``booked_at``: when it took place)."""
    with transaction.atomic():
        profile = sitter_profile_lock(sitter_id=sitter_id)
        if profile is None:
            raise invalid("sitter_id", "No sitter has this id.")
        if not User.objects.filter(pk=parent_id, role=Role.PARENT).exists():
            raise invalid("parent_id", "No parent has this id.")
        client = SitterClient.objects.select_for_update().filter(sitter=profile, parent_id=parent_id).first()
        if client is None:
            return SitterClient.objects.create(
                sitter=profile,
                parent_id=parent_id,
                bookings_count=1,
                first_booked_at=booked_at,
                last_booked_at=booked_at,
            )
        client.bookings_count += 1
        client.first_booked_at = min(client.first_booked_at, booked_at)
        client.last_booked_at = max(client.last_booked_at, booked_at)
        client.save(update_fields=["bookings_count", "first_booked_at", "last_booked_at"])
    return client
