"""Reads of live tracking: the trail of a booking, audited on every view; who is on call for a safety alert."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import User
from bookings.errors import BookingError
from bookings.selectors import booking_get_for_user
from bookings.tracking.models import BookingLocation
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError

# Until emergencies define their own, on-call staff are this group (emergencies' EMERGENCY_ON_CALL_GROUP).
DEFAULT_ON_CALL_GROUP = "On call"


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


def on_call_staff_list() -> list[User]:
    """Active staff in the on-call group; every active staff member when nobody is in it (nobody is never paged)."""
    staff = User.objects.filter(is_staff=True, is_active=True).order_by("date_joined", "pk")
    group = getattr(settings, "EMERGENCY_ON_CALL_GROUP", DEFAULT_ON_CALL_GROUP)
    on_call = list(staff.filter(groups__name=group))
    return on_call or list(staff)
