"""Send envelopes ``{type, id, ts, data}`` to channel groups, after commit.

HTTP processes and Celery workers reach sockets through the channel layer
(Redis in production, in-memory in the embedded default, where the worker runs
in the same process as the sockets).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

logger = structlog.get_logger(__name__)

# The consumer method that forwards an envelope to the client.
HANDLER = "realtime.event"


def envelope(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event_type, "id": str(uuid.uuid4()), "ts": timezone.now().isoformat(), "data": data}


def broadcast(groups: Iterable[str], event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Send one envelope to each group now. Delivery is best effort: the database is the record."""
    message = envelope(event_type, data)
    layer = get_channel_layer()
    if layer is None:
        return message
    for group in dict.fromkeys(groups):
        try:
            async_to_sync(layer.group_send)(group, {"type": HANDLER, "envelope": message})
        except Exception:  # a dead layer must not undo the state change that caused the event
            logger.exception("broadcast_failed", group=group, event_type=event_type)
    return message


def broadcast_on_commit(groups: Iterable[str], event_type: str, data: dict[str, Any]) -> None:
    """Broadcast once the current transaction commits; nothing if it rolls back."""
    group_list = list(groups)
    transaction.on_commit(lambda: broadcast(group_list, event_type, data))
