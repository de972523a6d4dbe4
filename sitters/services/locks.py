"""The one lock every sitters service takes first.

Services that change what hangs off a profile (calendar, holds with an
availability check, certifications, reviews and ratings, verification,
families) lock the profile row before anything else. So their writes are
serialised per sitter, and they always lock in one order (profile, then its
rows), which keeps two services from deadlocking each other.
"""

from __future__ import annotations

from uuid import UUID

from sitters.models import SitterProfile


def sitter_profile_lock(*, sitter_id: UUID, with_user: bool = False) -> SitterProfile | None:
    """The profile row locked until the transaction ends; None when there is none. Call inside ``atomic()``."""
    # Only the profile row: the user row is read, not locked (account erasure locks the user first, then the
    # profile), and NO KEY so rows that merely point at the profile (holds, reviews) are not held up by it.
    rows = SitterProfile.objects.select_for_update(of=("self",), no_key=True)
    if with_user:
        rows = rows.select_related("user")
    return rows.filter(pk=sitter_id).first()
