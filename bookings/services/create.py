"""A parent's booking request (``POST bookings``): every rule checked, the price computed here.

A request does not hold the sitter (accepting does), yet one made for a time
the sitter is already held is refused at once (409 ``booking_overlap``)
rather than left to fail at acceptance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors.family import child_list_for_parent
from bookings import policy
from bookings.errors import BookingError
from bookings.models import Booking, BookingStatus
from bookings.selectors import family_home
from bookings.services.transition import booking_event_record
from bookings.transitions import Party
from guardiannest import flags
from guardiannest.errors import ApplicationError, invalid
from guardiannest.text import clean_text
from sitters.errors import SitterError
from sitters.selectors.bookable import sitter_get_bookable
from sitters.selectors.calendar import hold_overlapping, span_covers
from sitters.selectors.search.geo import haversine_km
from sitters.services.calendar import MAX_HOLD_LENGTH

NOTES_MAX = 2000
SILENT: tuple[str, tuple[Party, ...]] = ("", ())  # a notice to nobody
MAX_CHILDREN = 10


def _period_validate(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    for field, value in (("start", starts_at), ("end", ends_at)):
        if timezone.is_naive(value):
            raise invalid(field, "Needs a time zone offset.")
    if not starts_at < ends_at:
        raise invalid("end", "Must be after start.")
    if starts_at <= now:
        raise invalid("start", "Must be in the future.")
    length = policy.elapsed(starts_at, ends_at)
    if length < policy.min_duration():
        raise invalid("end", f"A booking lasts at least {settings.BOOKING_MIN_MINUTES} minutes.")
    if length > MAX_HOLD_LENGTH:
        raise invalid("end", f"A booking lasts at most {MAX_HOLD_LENGTH.days} days.")


def booking_create(
    *,
    parent: User,
    sitter_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    child_ids: Sequence[UUID],
    notes: str = "",
    request_group: UUID | None = None,
    series_id: UUID | None = None,
    notify_sitter: bool = True,
) -> Booking:
    """Request ``sitter_id`` for ``[starts_at, ends_at)`` for some of ``parent``'s children.

    Refusals: 403 ``not_a_parent``; 400 for a period that is not in the
    future, shorter than the minimum or longer than a hold may be, for no
    children or another family's; 404 for an unknown sitter; 409
    ``sitter_not_verified`` / ``profile_incomplete`` (the sitters rule);
    409 ``family_location_missing`` and ``outside_service_area``; 409
    ``sitter_unavailable`` outside their availability; 409
    ``booking_overlap`` when the sitter is held then. ``request_group`` and
    ``series_id`` tie the booking to a multi-sitter request or a weekly series
    (:mod:`bookings.services.groups`, :mod:`bookings.services.series`).
    ``notify_sitter=False`` records the request without telling the sitter
    (a series tells them once, not once a week).
    """
    if parent.role != Role.PARENT:
        raise ApplicationError(BookingError.NOT_A_PARENT, "Only parents book sitters.")
    now = timezone.now()
    _period_validate(starts_at, ends_at, now)
    wanted = set(child_ids)
    if not wanted or len(wanted) > MAX_CHILDREN:
        raise invalid("child_ids", f"Name 1 to {MAX_CHILDREN} of your children.")
    children = list(child_list_for_parent(parent=parent).filter(pk__in=wanted))
    if len(children) != len(wanted):
        raise invalid("child_ids", "Only your own children can be booked for.")
    cleaned_notes = clean_text(notes, max_length=NOTES_MAX, field="notes")
    profile = sitter_get_bookable(sitter_id=sitter_id)
    # A bookable profile is complete: it has a rate and a location.
    assert profile.hourly_rate is not None
    assert profile.latitude is not None
    assert profile.longitude is not None
    home = family_home(parent_id=parent.pk)
    if home is None:
        raise ApplicationError(BookingError.FAMILY_LOCATION_MISSING, "Set your home's location first.")
    distance = haversine_km(float(home[0]), float(home[1]), float(profile.latitude), float(profile.longitude))
    if distance > profile.service_radius_km:
        raise ApplicationError(BookingError.OUTSIDE_SERVICE_AREA, "Your home is outside this sitter's service area.")
    if not span_covers(sitter_id=profile.pk, starts_at=starts_at, ends_at=ends_at):
        raise ApplicationError(SitterError.SITTER_UNAVAILABLE, "The sitter is not available for all of this period.")
    if hold_overlapping(sitter_id=profile.pk, starts_at=starts_at, ends_at=ends_at).exists():
        raise ApplicationError(BookingError.OVERLAP, "The sitter is already booked during this period.")
    price = policy.price_for(hourly_rate=profile.hourly_rate, starts_at=starts_at, ends_at=ends_at)
    with transaction.atomic():
        booking = Booking.objects.create(
            parent=parent,
            sitter=profile.user,
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=profile.timezone,
            hourly_rate=profile.hourly_rate,
            price_amount=price,
            currency=settings.PLATFORM_CURRENCY,
            status=BookingStatus.REQUESTED,
            notes=cleaned_notes,
            expires_at=policy.expiry_for(now=now, starts_at=starts_at),
            request_group=request_group,
            series_id=series_id,
        )
        booking.children.set(children)
        booking_event_record(
            booking=booking,
            previous="",
            actor=parent,
            party=Party.PARENT,
            data={"price": price},
            notice=None if notify_sitter else SILENT,
        )
    # Instant booking (a flag staff switch on per sitter, guardiannest/flags.py): a single request is accepted
    # on the sitter's behalf; a multi-sitter request or a series waits for the sitters as always.
    if request_group is None and series_id is None and flags.instant_booking_for(profile.user):
        from bookings.services.lifecycle import booking_accept  # accept's multi-sitter part imports create

        booking = booking_accept(booking_id=booking.pk, actor=profile.user)
    return booking
