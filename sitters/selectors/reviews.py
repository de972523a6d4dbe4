"""Reviews anyone signed in may read: a visible sitter's reviews that staff have not hidden, newest first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import F, QuerySet

from files.storage import AbsoluteUrls
from sitters.models import Review
from sitters.selectors.public import public_profile_base


def review_list_for_sitter(*, sitter_id: UUID, request: AbsoluteUrls | None = None) -> QuerySet[Review, Any]:
    """Plain rows ``{id, rating, comment, reply, replied_at, author_first_name, created_at}``; NotFound if invisible."""
    public_profile_base(
        sitter_id=sitter_id, request=request
    )  # the same visibility rule as the profile (usually a cache hit)
    return (
        Review.objects.filter(sitter_id=sitter_id, hidden=False)
        .order_by("-created_at")
        .values(
            "id", "rating", "comment", "reply", "replied_at", "created_at", author_first_name=F("author__first_name")
        )
    )


def review_get_for_booking(*, booking_id: UUID) -> Review | None:
    """The review of one booking (hidden or not), for the booking flow; None before it is reviewed."""
    return Review.objects.filter(booking_id=booking_id).first()


def review_flagged_count() -> int:
    """Low ratings (3 or less, ``flagged``) still shown: what staff moderation has to look at (one COUNT)."""
    return Review.objects.filter(flagged=True, hidden=False).count()
