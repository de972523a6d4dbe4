"""Read queries: what a user may see of accounts."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from django.db.models import QuerySet

from accounts.models import User, UserSession
from guardiannest.errors import not_found


def session_list_for_user(*, user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_used_at")


def session_ids_live(session_ids: Collection[str]) -> set[str]:
    """Which of these sessions have not ended (the realtime sockets opened under the others close)."""
    valid = []
    for session_id in session_ids:
        try:
            valid.append(UUID(str(session_id)))
        except ValueError:
            continue
    live = UserSession.objects.filter(pk__in=valid, ended_at__isnull=True).values_list("pk", flat=True)
    return {str(pk) for pk in live}


def session_get_for_user(*, session_id: UUID, user: User) -> UserSession:
    """The user's own active session; anyone else's is simply not found."""
    session = UserSession.objects.filter(pk=session_id, user=user, ended_at__isnull=True).first()
    if session is None:
        raise not_found()
    return session
