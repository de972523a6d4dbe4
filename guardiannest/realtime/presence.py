"""Who has a socket open right now, so a message can fall back to push when nobody does.

Each open socket holds a place in its user's set of sockets (guardiannest.realtime.store),
claimed on connect, refreshed by the client's heartbeat and released on
disconnect. A place that is not refreshed expires after the heartbeat timeout,
so a process that died without closing its sockets stops counting by then.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from channels.layers import get_channel_layer
from django.conf import settings

from guardiannest.realtime.store import Store, store_for


def presence_ttl() -> float:
    """Seconds a socket counts as open without a heartbeat: the heartbeat timeout, and a margin for the check."""
    return float(settings.REALTIME_HEARTBEAT_TIMEOUT) + 15


def _store() -> Store | None:
    layer = get_channel_layer()
    return None if layer is None else store_for(layer)


def presence_join(*, user_id: UUID | str, socket_id: str | None = None) -> str | None:
    """Count one more open socket for the user (limit included); its id, or None when the limit refuses it."""
    store = _store()
    if store is None:
        return None
    socket_id = socket_id or uuid.uuid4().hex
    admitted = store.socket_claim_sync(
        user_id=str(user_id), socket_id=socket_id, limit=settings.REALTIME_SOCKETS_PER_USER, ttl=presence_ttl()
    )
    return socket_id if admitted else None


def presence_leave(*, user_id: UUID | str, socket_id: str) -> None:
    store = _store()
    if store is not None:
        store.socket_release_sync(user_id=str(user_id), socket_id=socket_id)


def user_is_online(*, user_id: UUID | str) -> bool:
    store = _store()
    return store is not None and store.sockets_open(user_id=str(user_id)) > 0
