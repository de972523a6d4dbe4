"""A booking's review (API.md, Bookings): the parent rates the sitter once the work is done; the sitter answers once.

The review itself, the sitter's rating and the moderation flag belong to
sitters (:func:`sitters.services.reviews.review_submit` keeps ``rating_avg``
and ``rating_count`` exact under the profile's lock and flags 3 or less for
staff); this module decides who may review which booking, and when.
"""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from accounts.models import User
from bookings.errors import BookingError
from bookings.models import Booking, BookingStatus
from bookings.services.transition import booking_notify, party_of
from bookings.transitions import Party
from guardiannest.errors import ApplicationError, not_found
from sitters.models import Review
from sitters.selectors.reviews import review_get_for_booking
from sitters.services.reviews import review_reply, review_submit

# The work is done: completed, or completed and then disputed (a dispute is no reason not to review).
REVIEWABLE = (BookingStatus.COMPLETED, BookingStatus.DISPUTED)


def _booking_of(booking_id: UUID, actor: User) -> tuple[Booking, Party]:
    booking = Booking.objects.select_related("parent", "sitter").filter(pk=booking_id).first()
    if booking is None:
        raise not_found("No such booking.")
    return booking, party_of(booking, actor)


def booking_review_submit(*, booking_id: UUID, actor: User, rating: int, comment: str = "") -> Review:
    """The parent reviews the sitter of their completed booking, once.

    Refusals: 404 for a booking not theirs; 403 ``not_a_parent`` for its
    sitter or staff; 409 ``booking_not_completed`` before check-out; 409
    ``review_exists`` the second time; 400 naming ``rating`` or ``comment``.
    """
    booking, party = _booking_of(booking_id, actor)
    if party != Party.PARENT:
        raise ApplicationError(BookingError.NOT_A_PARENT, "Only the family reviews its booking.")
    if booking.status not in REVIEWABLE:
        raise ApplicationError(BookingError.NOT_COMPLETED, "A booking is reviewed once it is completed.")
    with transaction.atomic():  # the sitter is told once the review is committed
        review = review_submit(
            sitter_id=booking.sitter_id, author=actor, rating=rating, comment=comment, booking_id=booking.pk
        )
        booking_notify(booking=booking, kind="booking.reviewed", recipient=Party.SITTER, actor=actor)
    return review


def booking_review_reply(*, booking_id: UUID, actor: User, comment: str) -> Review:
    """The booking's sitter answers its review, once (409 ``review_reply_exists``); 409 before any review."""
    booking, party = _booking_of(booking_id, actor)
    if party != Party.SITTER:
        raise ApplicationError(BookingError.NOT_THE_SITTER, "Only the sitter answers a review.")
    review = review_get_for_booking(booking_id=booking.pk)
    if review is None:
        raise ApplicationError(BookingError.NOT_REVIEWED, "This booking has no review to answer yet.")
    with transaction.atomic():  # the family is told once the reply is committed
        reply = review_reply(review_id=review.pk, author=actor, comment=comment)
        booking_notify(booking=booking, kind="booking.review_replied", recipient=Party.PARENT, actor=actor)
    return reply
