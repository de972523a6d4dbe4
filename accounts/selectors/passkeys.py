"""Read queries of the passkeys subdomain: a user's own passkeys."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from accounts.models import Passkey, User
from guardiannest.errors import not_found


def passkey_list_for_user(*, user: User) -> QuerySet[Passkey]:
    return Passkey.objects.filter(user=user).order_by("-created_at")


def passkey_get_for_user(*, passkey_id: UUID, user: User) -> Passkey:
    """The user's own passkey; anyone else's is simply not found."""
    passkey = Passkey.objects.filter(pk=passkey_id, user=user).first()
    if passkey is None:
        raise not_found()
    return passkey
