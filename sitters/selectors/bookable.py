"""Only verified sitters can be booked (API.md, Sitters), enforced in one place for every booking path."""

from __future__ import annotations

from uuid import UUID

from accounts.models import Role
from guardiannest.errors import ApplicationError, not_found
from sitters.errors import SitterError
from sitters.models import SitterProfile


def sitter_get_bookable(*, sitter_id: UUID | str) -> SitterProfile:
    """The profile of a sitter a parent may book now.

    Not found (``not_found``) for an unknown id, an inactive account or an account that
    is not a sitter (a parent learns nothing about who exists), 409
    ``sitter_not_verified`` unless verification is complete, and 409
    ``profile_incomplete`` without a rate or a location (there would be no
    price and no place). Bookings call it inside their own transaction; it
    takes no lock, since the hold's exclusion constraint is what serialises
    competing bookings.
    """
    try:
        pk = sitter_id if isinstance(sitter_id, UUID) else UUID(str(sitter_id))
    except ValueError as exc:  # not a UUID
        raise not_found() from exc
    profile = (
        SitterProfile.objects.select_related("user").filter(pk=pk, user__is_active=True, user__role=Role.SITTER).first()
    )
    if profile is None:
        raise not_found()
    if not profile.is_verified:
        raise ApplicationError(SitterError.SITTER_NOT_VERIFIED, "This sitter has not been verified yet.")
    if not profile.is_complete:
        raise ApplicationError(SitterError.PROFILE_INCOMPLETE, "This sitter's profile has no rate or location yet.")
    return profile
