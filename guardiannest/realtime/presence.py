"""Who has a socket open right now, so a message can fall back to push when nobody does.

A counter per user in the cache (Redis in production), raised on connect and
lowered on disconnect, with a TTL that open sockets refresh on every ping: a
process that died without disconnecting stops counting within the TTL.
"""

from __future__ import annotations

from uuid import UUID

from django.core.cache import cache

PRESENCE_TTL = 120  # seconds; clients ping every 30 s or so


def _key(user_id: UUID | str) -> str:
    return f"presence:{user_id}"


def presence_join(*, user_id: UUID | str) -> None:
    key = _key(user_id)
    cache.add(key, 0, timeout=PRESENCE_TTL)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=PRESENCE_TTL)
    cache.touch(key, timeout=PRESENCE_TTL)


def presence_refresh(*, user_id: UUID | str) -> None:
    cache.touch(_key(user_id), timeout=PRESENCE_TTL)


def presence_leave(*, user_id: UUID | str) -> None:
    key = _key(user_id)
    try:
        if cache.decr(key) <= 0:
            cache.delete(key)
    except ValueError:
        pass


def user_is_online(*, user_id: UUID | str) -> bool:
    return int(cache.get(_key(user_id)) or 0) > 0
