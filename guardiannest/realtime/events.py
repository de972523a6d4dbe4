"""Send envelopes ``{type, id, ts, data}`` to channel groups, after commit; close sockets whose access ended.

HTTP processes and Celery workers reach sockets through the channel layer:
in production one pipelined round trip to Redis per call, whatever the number
of groups, on a connection the process keeps (guardiannest.realtime.layers);
in the embedded default, one hop into the in-memory layer.

Each envelope is encoded to JSON once, here: every socket that receives it
sends the same text. Envelopes are also kept for a short while per group so a
reconnecting client can catch up (``ephemeral=True`` for those that are stale
at once, such as a live location).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import structlog
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from guardiannest.realtime import metrics
from guardiannest.realtime.groups import session_group, user_group
from guardiannest.realtime.store import RecordedEvent, now_ms, store_for

logger = structlog.get_logger(__name__)

# The consumer methods that take these layer messages.
HANDLER = "realtime.event"
CLOSE_HANDLER = "realtime.close"


class CloseReason:
    """Why the server closed a socket: the close code the client sees, and the metric's label."""

    SESSION_ENDED = "session_ended"  # logout, revoke, password change or reset
    USER_DEACTIVATED = "user_deactivated"
    ACCESS_CHANGED = "access_changed"  # staff granted or withdrawn: reconnect for the right groups


def envelope(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event_type, "id": str(uuid.uuid4()), "ts": timezone.now().isoformat(), "data": data}


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))


def _publish(
    groups: list[str], message: dict[str, Any], record: RecordedEvent | None, count_sockets_of: str | None = None
) -> tuple[bool, int | None]:
    """Publish (and record) ``message``: whether it went out, and ``count_sockets_of``'s open sockets if asked."""
    layer = get_channel_layer()
    if layer is None or not groups:
        return False, None
    try:
        count = store_for(layer).publish(
            groups=groups,
            message=message,
            record=record,
            window=settings.REALTIME_REPLAY_WINDOW,
            count_sockets_of=count_sockets_of,
        )
    except Exception:  # a dead layer must not undo the state change that caused the event
        metrics.PUBLISH_FAILURES.inc()
        logger.exception("broadcast_failed", groups=groups, message_type=message.get("type"))
        return False, None
    metrics.EVENTS_PUBLISHED.inc(len(groups))
    return True, count


def broadcast(
    groups: Iterable[str], event_type: str, data: dict[str, Any], *, ephemeral: bool = False
) -> dict[str, Any]:
    """Send one envelope to each group now and return it. Best effort: the database is the record.

    Unless ``ephemeral``, the envelope is kept ``REALTIME_REPLAY_WINDOW``
    seconds per group for clients that reconnect with ``?since=``.
    """
    sent = envelope(event_type, data)
    text = encode(sent)
    record = None if ephemeral else RecordedEvent(now_ms(), sent["id"], text)
    _publish(list(dict.fromkeys(groups)), {"type": HANDLER, "id": sent["id"], "text": text}, record)
    return sent


def broadcast_counting_sockets(
    groups: Iterable[str], event_type: str, data: dict[str, Any], *, user_id: UUID | str
) -> int | None:
    """:func:`broadcast` (kept for replay), and how many sockets ``user_id`` has open, in the same round trip.

    Groups are published to in the order given (put the one that waits for
    the event first). None when the event could not be published (the count
    is then unknown; ask :func:`guardiannest.realtime.presence.user_is_online`).
    """
    sent = envelope(event_type, data)
    text = encode(sent)
    record = RecordedEvent(now_ms(), sent["id"], text)
    message = {"type": HANDLER, "id": sent["id"], "text": text}
    published, count = _publish(list(dict.fromkeys(groups)), message, record, count_sockets_of=str(user_id))
    return count if published else None


def broadcast_on_commit(
    groups: Iterable[str], event_type: str, data: dict[str, Any], *, ephemeral: bool = False
) -> None:
    """Broadcast once the current transaction commits; nothing if it rolls back."""
    group_list = list(groups)
    transaction.on_commit(lambda: broadcast(group_list, event_type, data, ephemeral=ephemeral))


def sockets_close(*, reason: str, session_ids: Iterable[Any] = (), user_ids: Iterable[Any] = ()) -> bool:
    """Close, on every realtime process, the sockets opened under these sessions or by these users.

    Sent through the channel layer like an event, so it takes effect at once;
    each socket also re-checks its session and user every
    ``REALTIME_SESSION_RECHECK`` seconds, which catches a close that was lost.
    """
    groups = [session_group(session_id) for session_id in session_ids] + [user_group(user_id) for user_id in user_ids]
    return _publish(list(dict.fromkeys(groups)), {"type": CLOSE_HANDLER, "reason": reason}, None)[0]


def sockets_close_on_commit(*, reason: str, session_ids: Iterable[Any] = (), user_ids: Iterable[Any] = ()) -> None:
    """:func:`sockets_close` once the current transaction commits (the access has really ended)."""
    sessions, users = list(session_ids), list(user_ids)
    transaction.on_commit(lambda: sockets_close(reason=reason, session_ids=sessions, user_ids=users))
