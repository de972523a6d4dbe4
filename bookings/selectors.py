"""What each party may read of bookings: a parent theirs, a sitter theirs; anyone else's is "not found"."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.db.models import Q, QuerySet

from accounts.models import ParentProfile, User
from bookings.models import Booking, BookingStatus
from guardiannest.errors import invalid, not_found


def booking_list_for_user(*, user: User, status: str | None = None) -> QuerySet[Booking]:
    """The user's bookings as parent or sitter, soonest start last; with their payment and children in 2 queries."""
    if status is not None and status not in BookingStatus.values:
        raise invalid("status", f"One of {', '.join(BookingStatus.values)}.")
    rows = Booking.objects.filter(Q(parent=user) | Q(sitter=user))
    if status is not None:
        rows = rows.filter(status=status)
    return rows.select_related("payment").prefetch_related("children").order_by("-starts_at", "-pk")


def booking_get_for_user(*, booking_id: UUID, user: User) -> Booking:
    """One of the user's bookings (staff: any); another's is not found, exactly like a missing one."""
    rows = Booking.objects.all() if user.is_staff else Booking.objects.filter(Q(parent=user) | Q(sitter=user))
    booking = rows.select_related("payment").prefetch_related("children").filter(pk=booking_id).first()
    if booking is None:
        raise not_found("No such booking.")
    return booking


def booking_parties(booking_id: UUID, user: User) -> tuple[UUID, UUID] | None:
    """(parent id, sitter id) of one of ``user``'s own bookings, else None; messaging opens their conversation."""
    row = (
        Booking.objects.filter(pk=booking_id)
        .filter(Q(parent=user) | Q(sitter=user))
        .values_list("parent_id", "sitter_id")
        .first()
    )
    return None if row is None else (row[0], row[1])


def family_home(*, parent_id: UUID) -> tuple[Decimal, Decimal] | None:
    """Where the family lives, for distance checks only (never shown, so not an audited read)."""
    row = ParentProfile.objects.filter(user_id=parent_id).values_list("latitude", "longitude").first()
    if row is None or row[0] is None or row[1] is None:
        return None
    return row[0], row[1]
