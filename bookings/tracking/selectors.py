"""Reads of live tracking: the trail of a booking, audited on every view."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from accounts.models import User
from bookings.errors import BookingError
from bookings.selectors import booking_get_for_user
from bookings.tracking.models import BookingLocation
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError


def booking_location_list_for_user(*, booking_id: UUID, user: User) -> QuerySet[BookingLocation]:
    """The booking's locations, newest first, for its parent or staff; each call is one audited view.

    Another's booking is not found; its sitter is refused (they sent the
    points: the trail is the family's to watch). The audit event names the
    parent as its target, so every view shows in the family's security
    events, whoever looked.
    """
    booking = booking_get_for_user(booking_id=booking_id, user=user)
    if not user.is_staff and booking.parent_id != user.pk:
        raise ApplicationError(BookingError.NOT_A_PARENT, "Only the family and staff see the trail.")
    audit_record(
        action="booking.locations_read",
        actor=user,
        target_type=User._meta.label_lower,
        target_id=booking.parent_id,
        data={"booking_id": str(booking.pk)},
    )
    return BookingLocation.objects.filter(booking_id=booking.pk)
