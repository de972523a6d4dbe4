"""Channel groups of bookings: built here alone (STYLE.md, names)."""

from __future__ import annotations

from uuid import UUID


def booking_group(booking_id: UUID | str) -> str:
    """Sockets following one booking live (subscribed through the booking selector)."""
    return f"booking.{booking_id}"
