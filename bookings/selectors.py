"""What each party may read of bookings: a parent theirs, a sitter theirs; anyone else's is "not found"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors.family import (
    ChildMedical,
    FamilyAddress,
    child_medical_read_for,
    family_address_read_for,
    family_home_point,
)
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
    return family_home_point(parent_id=parent_id)


# --- the family's private details, released to the sitter for the booked time only --------------

# Statuses in which the sitter is, or is about to be, with the children.
FAMILY_DATA_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS)


@dataclass(frozen=True)
class BookingChild:
    child_id: UUID
    first_name: str
    medical: ChildMedical


@dataclass(frozen=True)
class BookingFamily:
    address: FamilyAddress | None
    children: list[BookingChild]


def family_data_open(*, booking: Booking, now: datetime | None = None) -> bool:
    """Whether the booking's sitter may see the family's details now: confirmed or in progress, and
    from ``BOOKING_FAMILY_DATA_HOURS_BEFORE`` before the start until its end (the end itself is outside)."""
    now = now or timezone.now()
    opens = booking.starts_at - timedelta(hours=settings.BOOKING_FAMILY_DATA_HOURS_BEFORE)
    return booking.status in FAMILY_DATA_STATUSES and opens <= now < booking.ends_at


def booking_family_for(*, booking: Booking, reader: User, now: datetime | None = None) -> BookingFamily | None:
    """The family's address and the booked children's health notes for the booking's sitter, inside the window.

    None for anyone else (the parent has them on their own screens) and
    outside the window. Reads are audited on the family's security trail
    (``GET security/events``): one event for the address, one per child, at
    most once per ``FAMILY_READ_AUDIT_MINUTES`` per sitter and booking (an app
    polling the booking), each with the running count of reads in ``reads``.
    """
    if reader.pk != booking.sitter_id or not family_data_open(booking=booking, now=now):
        return None
    parent = User.objects.get(pk=booking.parent_id)
    through = f"booking:{booking.pk}"
    children = [
        BookingChild(
            child_id=child.pk,
            first_name=child.first_name,
            medical=child_medical_read_for(child=child, reader=reader, through=through),
        )
        for child in booking.children.all()
    ]
    address = family_address_read_for(parent=parent, reader=reader, through=through)
    return BookingFamily(address=address, children=children)


# Bookings that take place (or may still): a declined, expired or cancelled one is not on the day's schedule.
SCHEDULED = (
    BookingStatus.REQUESTED,
    BookingStatus.ACCEPTED,
    BookingStatus.CONFIRMED,
    BookingStatus.IN_PROGRESS,
    BookingStatus.COMPLETED,
    BookingStatus.DISPUTED,
)


def booking_scheduled_count(*, start: datetime, end: datetime) -> int:
    """Bookings starting in ``[start, end)`` that take place or may still (one COUNT): "today's bookings"."""
    return Booking.objects.filter(starts_at__gte=start, starts_at__lt=end, status__in=SCHEDULED).count()


def booking_disputed_count() -> int:
    """Bookings whose hours the parent disputed and staff have not resolved yet (one COUNT)."""
    return Booking.objects.filter(status=BookingStatus.DISPUTED).count()
