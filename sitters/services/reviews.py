"""Reviews, write side: a family reviews a sitter (bookings call this), staff hide or show a review.

``SitterProfile.rating_avg``/``rating_count`` are recomputed from the visible
reviews in the same transaction as each change, under the profile's row
lock: concurrent reviews of one sitter queue on that lock, and each
recomputation (a fresh READ COMMITTED snapshot taken after the lock) sees
every review committed before it, so the figures are exact rather than
incrementally drifted. Search sorts and filters on these plain columns.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone

from accounts.models import Role, User
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, ErrorCode, invalid, not_found
from sitters.cache import sitter_changed_on_commit
from sitters.errors import SitterError, clean_text_field
from sitters.models import Review, SitterProfile
from sitters.services.locks import sitter_profile_lock

COMMENT_MAX = 2000
RATING_PLACES = Decimal("0.01")
# A review rated this or lower is flagged for staff (the admin's "flagged" filter).
FLAG_AT_OR_BELOW = 3


def _review_exists() -> ApplicationError:
    return ApplicationError(SitterError.REVIEW_EXISTS, "This booking has been reviewed already.")


def _review_changed(profile: SitterProfile, *, review: Review, action: str, actor: User, **data: Any) -> None:
    """After a review changed: recount the visible ones, forget the caches, audit. Caller holds the profile lock.

    The average and count come from the visible reviews, not from an
    increment, so they are exact whatever happened before.
    """
    figures = Review.objects.filter(sitter=profile, hidden=False).aggregate(avg=Avg("rating"), count=Count("id"))
    count = int(figures["count"] or 0)
    average = figures["avg"]
    profile.rating_count = count
    profile.rating_avg = (
        None if not count or average is None else Decimal(str(average)).quantize(RATING_PLACES, ROUND_HALF_UP)
    )
    profile.save(update_fields=["rating_avg", "rating_count", "updated_at"])
    sitter_changed_on_commit(profile.pk)
    audit_record(action=action, actor=actor, target=review, data={"sitter_id": str(profile.pk), **data})


def review_submit(
    *, sitter_id: UUID, author: User, rating: int, comment: str, booking_id: UUID | None = None
) -> Review:
    """A parent's review of a sitter; one per booking (409 ``review_exists``); 3 or less is flagged for staff.

    Precondition (the caller's, the booking flow): the author may review this
    booking (it is theirs and completed). This function checks what it can
    alone: the author is a parent, the rating is 1-5, the comment is plain
    text of at most 2,000 characters.
    """
    if author.role != Role.PARENT:
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "Only parents review sitters.")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise invalid("rating", "A rating is a whole number from 1 to 5.")
    text = clean_text_field("comment", comment, max_length=COMMENT_MAX)
    with transaction.atomic():
        profile = sitter_profile_lock(sitter_id=sitter_id)
        if profile is None:
            raise invalid("sitter_id", "No sitter has this id.")
        if booking_id is not None and Review.objects.filter(booking_id=booking_id).exists():
            raise _review_exists()
        review = Review(
            sitter=profile,
            author=author,
            booking_id=booking_id,
            rating=rating,
            comment=text,
            flagged=rating <= FLAG_AT_OR_BELOW,
        )
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError as exc:  # the same booking reviewed for another sitter at the same moment
            raise _review_exists() from exc
        _review_changed(
            profile,
            review=review,
            action="sitter.review_submitted",
            actor=author,
            rating=rating,
            booking_id=str(booking_id or ""),
        )
    return review


def review_hide(*, review: Review, actor: User, hidden: bool) -> Review:
    """Staff moderation: hide a review (not shown, not counted) or show it again. Staff only (403)."""
    if not actor.is_staff:
        raise ApplicationError(ErrorCode.PERMISSION_DENIED, "Only staff moderate reviews.")
    with transaction.atomic():
        # Profile first, as review_submit does: one lock order, no deadlock.
        profile = sitter_profile_lock(sitter_id=review.sitter_id)
        locked = Review.objects.select_for_update().filter(pk=review.pk).first()
        if profile is None or locked is None:  # erased meanwhile
            raise not_found()
        if locked.hidden == hidden:
            return locked
        locked.hidden = hidden
        locked.save(update_fields=["hidden"])
        _review_changed(profile, review=locked, action="sitter.review_moderated", actor=actor, hidden=hidden)
    return locked


def review_reply(*, review_id: UUID, author: User, comment: str) -> Review:
    """The reviewed sitter answers a review, once (409 ``review_reply_exists``); not theirs: not found.

    The reply changes no figure, so only the review row is locked; the
    profile's cached body does not carry reviews.
    """
    text = clean_text_field("comment", comment, max_length=COMMENT_MAX)
    if not text:
        raise invalid("comment", "Write a reply.")
    with transaction.atomic():
        review = Review.objects.select_for_update(of=("self",)).select_related("sitter").filter(pk=review_id).first()
        if review is None or review.sitter.user_id != author.pk:
            raise not_found()
        if review.replied_at is not None:
            raise ApplicationError(SitterError.REVIEW_REPLY_EXISTS, "This review has been answered already.")
        review.reply, review.replied_at = text, timezone.now()
        review.save(update_fields=["reply", "replied_at"])
        audit_record(
            action="sitter.review_replied",
            actor=author,
            target=review,
            data={"sitter_id": str(review.sitter_id), "booking_id": str(review.booking_id or "")},
        )
    return review
