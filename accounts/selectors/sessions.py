"""Read queries: what a user may see of accounts."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from accounts.models import User, UserSession
from guardiannest.errors import not_found


def session_list_for_user(*, user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_used_at")


def session_get_for_user(*, session_id: UUID, user: User) -> UserSession:
    """The user's own active session; anyone else's is simply not found."""
    session = UserSession.objects.filter(pk=session_id, user=user, ended_at__isnull=True).first()
    if session is None:
        raise not_found()
    return session
