"""The one websocket endpoint, ``/ws/v1``: server-pushed envelopes and a few client messages."""

from __future__ import annotations

from typing import Any

import structlog
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from guardiannest.realtime.groups import STAFF_EMERGENCIES, user_group
from guardiannest.realtime.presence import presence_join, presence_leave, presence_refresh

logger = structlog.get_logger(__name__)

# Close codes in the 4000 range are ours to define.
CLOSE_UNAUTHENTICATED = 4401


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    """Joins the user's own group (and, for staff, the emergencies group) on connect, and nothing else.

    The server decides what a socket receives: an app reaches a user through
    ``user.<id>`` (a chat message goes to each participant's group), so a
    client subscribes to nothing and sends only ``ping``. A group that is not
    the user's own (a booking's live location, say) must be authorised through
    that app's selector before ``group_add``; a client's claim about who it is
    or what it belongs to is never trusted.
    """

    groups_joined: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.groups_joined = [user_group(user.pk)]
        if user.is_staff:
            self.groups_joined.append(STAFF_EMERGENCIES)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.user_id = user.pk
        await database_sync_to_async(presence_join)(user_id=user.pk)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if getattr(self, "user_id", None) is not None:
            await database_sync_to_async(presence_leave)(user_id=self.user_id)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "data": {"code": "invalid", "detail": "Send a JSON object."}})
            return
        message_type = content.get("type")
        if message_type == "ping":
            await database_sync_to_async(presence_refresh)(user_id=self.user_id)
            await self.send_json({"type": "pong"})
            return
        await self.send_json(
            {"type": "error", "data": {"code": "unknown_type", "detail": f"Unknown message type {message_type!r}."}}
        )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is None or len(text_data) > 16_384:
            await self.send_json({"type": "error", "data": {"code": "invalid", "detail": "Send JSON text frames."}})
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            await self.send_json({"type": "error", "data": {"code": "invalid", "detail": "Malformed JSON."}})
            return
        await self.receive_json(content)

    async def realtime_event(self, message: dict[str, Any]) -> None:
        """Forward an envelope sent with :func:`guardiannest.realtime.events.broadcast`."""
        await self.send_json(message["envelope"])
