"""The one websocket endpoint, ``/ws/v1``: server-pushed envelopes, a few client messages, and the socket's life.

Connect: the ticket (guardiannest.realtime.middleware) names the user and the
session; the socket takes a place among the user's open sockets (at most
``REALTIME_SOCKETS_PER_USER`` over every process), joins the user's groups
(``user.<id>``, ``session.<id>``, and ``staff.emergencies`` for staff), and,
with ``?since=<ts of the last envelope seen>``, first gets the envelopes it
missed (guardiannest.realtime.replay).

Sending: envelopes go through a bounded queue drained by one writer task, so
a slow or dead client never holds up its process's dispatch of events to the
other sockets. A client that falls ``REALTIME_SEND_QUEUE`` envelopes behind is
closed (4430) and catches up on reconnect.

Receiving: frames larger than ``REALTIME_MAX_FRAME``, not JSON objects, of
unknown types, over the per-socket rate (a token bucket), or refused by their
handler are dropped or answered with an error frame on this socket only, and
counted (guardiannest.realtime.metrics). Handlers for client messages are
registered by the apps (guardiannest.realtime.handlers).

Closing: the server closes a socket whose client sent nothing for
``REALTIME_HEARTBEAT_TIMEOUT`` (4408), whose session ended or user was
deactivated (4401), or whose user gained or lost staff status (4403), at once
when told (guardiannest.realtime.events.sockets_close) and otherwise at the
next re-check (guardiannest.realtime.watchdog).

Channels' consumers close stale database connections before every message
through a thread hop (``aclose_old_connections``); here no handler touches the
database on the event loop (those that do go through ``database_sync_to_async``,
which does the same), so events skip that hop: with hundreds of sockets per
process it was the largest cost of a fan-out (bench/README.md).
"""

from __future__ import annotations

import asyncio
import json
from enum import IntEnum
from typing import Any
from urllib.parse import parse_qs

import structlog
from channels.consumer import get_handler_name
from channels.db import aclose_old_connections
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.utils import await_many_dispatch
from django.conf import settings

from guardiannest.realtime import metrics
from guardiannest.realtime.events import CLOSE_HANDLER, HANDLER, CloseReason, encode, envelope
from guardiannest.realtime.groups import STAFF_EMERGENCIES, session_group, user_group
from guardiannest.realtime.handlers import ClientError, SocketContext, client_handlers
from guardiannest.realtime.presence import presence_ttl
from guardiannest.realtime.replay import replay_since
from guardiannest.realtime.sessions import SocketAccess
from guardiannest.realtime.store import Store, store_for
from guardiannest.realtime.watchdog import HEARTBEAT_MISSED, watchdog

logger = structlog.get_logger(__name__)


class CloseCode(IntEnum):
    """Close codes in the 4000 range are ours to define; the client's next step depends on each."""

    UNAUTHENTICATED = 4401  # no valid ticket, the session ended or the account is off: sign in again
    ACCESS_CHANGED = 4403  # staff status changed: reconnect with a new ticket for the right groups
    HEARTBEAT_MISSED = 4408  # nothing from the client for too long: reconnect
    TOO_MANY_SOCKETS = 4429  # the user's limit of open sockets: close another first
    FELL_BEHIND = 4430  # the client read too slowly and missed envelopes: reconnect with ?since=


CLOSE_UNAUTHENTICATED = CloseCode.UNAUTHENTICATED

_CODE_FOR_REASON = {
    CloseReason.SESSION_ENDED: CloseCode.UNAUTHENTICATED,
    CloseReason.USER_DEACTIVATED: CloseCode.UNAUTHENTICATED,
    CloseReason.ACCESS_CHANGED: CloseCode.ACCESS_CHANGED,
    HEARTBEAT_MISSED: CloseCode.HEARTBEAT_MISSED,
}
OVERFLOW = "send_queue_overflow"
# Seconds a close frame may take to leave before the socket is dropped regardless (a client that reads nothing).
CLOSE_TIMEOUT = 1.0
# A rate-limited client hears about it at most this often; the frames themselves are dropped silently.
RATE_ERROR_INTERVAL = 1.0


def _error(code: str, detail: str) -> str:
    return encode({"type": "error", "data": {"code": code, "detail": detail}})


_PONG = encode({"type": "pong"})


class RealtimeConsumer(AsyncWebsocketConsumer):
    access: SocketAccess
    store: Store
    outbox: asyncio.Queue[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups_joined: list[str] = []
        self.control: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.writer: asyncio.Task[None] | None = None
        self.claimed = False
        self.closing = False
        self.replayed_ids: set[str] = set()
        self.last_seen = self.next_check = self.next_refresh = 0.0
        self.tokens = float(settings.REALTIME_CLIENT_BURST)
        self.tokens_at = 0.0
        self.next_rate_error = 0.0

    # --- the dispatch loop: the client, the channel layer, and our own close requests ---

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """AsyncConsumer.__call__ with a third source: close requests from the watchdog."""
        self.scope = scope
        self.base_send = send
        self.channel_layer = self._layer()
        sources = [receive, self.control.get]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            sources.insert(1, lambda: self.channel_layer.receive(self.channel_name))
        try:
            await await_many_dispatch(sources, self.dispatch)
        except StopConsumer:
            pass
        finally:
            await self._release()

    @staticmethod
    def _layer() -> Any:
        from channels.layers import get_channel_layer

        return get_channel_layer()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without the database hop per message (see the module docstring)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def request_close(self, reason: str) -> None:
        """Ask this socket to close (from outside its dispatch loop: the watchdog)."""
        self.control.put_nowait({"type": CLOSE_HANDLER, "reason": reason})

    # --- connect, disconnect ---

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            metrics.SOCKETS_REFUSED.labels("unauthenticated").inc()
            await self.close(code=CloseCode.UNAUTHENTICATED)
            return
        self.access = SocketAccess(str(user.pk), self.scope.get("session_id"), bool(user.is_staff))
        self.store = store_for(self.channel_layer)
        self.claimed = await self.store.socket_claim(
            user_id=self.access.user_id,
            socket_id=self.channel_name,
            limit=settings.REALTIME_SOCKETS_PER_USER,
            ttl=presence_ttl(),
        )
        if not self.claimed:
            metrics.SOCKETS_REFUSED.labels("too_many_sockets").inc()
            await self.accept()  # accepted first, so the client sees why
            await self.close(code=CloseCode.TOO_MANY_SOCKETS)
            return
        self.groups_joined = [user_group(self.access.user_id)]
        if self.access.session_id is not None:
            self.groups_joined.append(session_group(self.access.session_id))
        if self.access.is_staff:
            self.groups_joined.append(STAFF_EMERGENCIES)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        metrics.SOCKETS_OPEN.inc()
        loop_now = asyncio.get_running_loop().time()
        self.last_seen = self.tokens_at = loop_now
        self.next_check = loop_now + settings.REALTIME_SESSION_RECHECK
        self.next_refresh = loop_now + presence_ttl() / 3
        self.context = SocketContext(
            user_id=self.access.user_id,
            session_id=self.access.session_id,
            is_staff=self.access.is_staff,
            publish=self._publish,
        )
        since = self._since()
        if since is not None:
            await self._replay(since)
        self.outbox = asyncio.Queue(maxsize=settings.REALTIME_SEND_QUEUE)
        self.writer = asyncio.get_running_loop().create_task(self._write())
        watchdog().add(self)

    def _since(self) -> str | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        values = query.get("since")
        return values[0] if values else None

    async def _replay(self, since: str) -> None:
        """Send what was published to this socket's groups after ``since``, then ``replay.done``.

        Runs before the writer starts and before any live event is dispatched
        (they wait in the layer meanwhile); live events already replayed are
        skipped by id.
        """
        result = await replay_since(store=self.store, groups=self.groups_joined, since=since)
        for event in result.events:
            self.replayed_ids.add(event.event_id)
            await self.send(text_data=event.text)
        done = envelope("replay.done", {"replayed": len(result.events), "complete": result.complete})
        await self.send(text_data=encode(done))

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        raise StopConsumer()

    async def _release(self) -> None:
        """Leave every group and the user's set of sockets; idempotent, whatever ended the socket."""
        watchdog().discard(self)
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None
            metrics.SOCKETS_OPEN.dec()
        groups, self.groups_joined = self.groups_joined, []
        try:
            for group in groups:
                await self.channel_layer.group_discard(group, self.channel_name)
            if self.claimed:
                self.claimed = False
                await self.store.socket_release(user_id=self.access.user_id, socket_id=self.channel_name)
        except Exception:  # Redis away: the place expires on its own, the process drops its groups with the loop
            logger.exception("realtime_release_failed")
        await aclose_old_connections()  # as Channels does when a socket ends

    async def _shut(self, code: int, reason: str) -> None:
        """Close from the server: the queue is dropped, the close frame gets ``CLOSE_TIMEOUT`` to leave."""
        if self.closing:
            return
        self.closing = True
        metrics.SOCKETS_CLOSED.labels(reason).inc()
        if self.writer is not None:
            self.writer.cancel()
        try:
            await asyncio.wait_for(self.close(code=code), timeout=CLOSE_TIMEOUT)
        except Exception:  # the client reads nothing: the connection is dropped when the consumer ends
            logger.info("realtime_close_frame_not_sent", reason=reason)
        raise StopConsumer()

    # --- from the server: events and close requests ---

    async def _write(self) -> None:
        while True:
            text = await self.outbox.get()
            await self.base_send({"type": "websocket.send", "text": text})

    def _enqueue(self, text: str) -> bool:
        try:
            self.outbox.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True

    async def realtime_event(self, message: dict[str, Any]) -> None:
        """An envelope published with guardiannest.realtime.events.broadcast (its JSON text, encoded once)."""
        if self.closing or self.writer is None:
            return
        if self.replayed_ids and message.get("id") in self.replayed_ids:
            return
        if not self._enqueue(message["text"]):
            await self._shut(CloseCode.FELL_BEHIND, OVERFLOW)

    async def realtime_close(self, message: dict[str, Any]) -> None:
        reason = str(message.get("reason", CloseReason.SESSION_ENDED))
        await self._shut(_CODE_FOR_REASON.get(reason, CloseCode.UNAUTHENTICATED), reason)

    async def _publish(self, groups: Any, event_type: str, data: dict[str, Any]) -> None:
        """Publish from this socket (a live location): not kept for replay, stale at once."""
        sent = envelope(event_type, data)
        message = {"type": HANDLER, "id": sent["id"], "text": encode(sent)}
        for group in dict.fromkeys(groups):
            await self.channel_layer.group_send(group, message)
        metrics.EVENTS_PUBLISHED.inc(len(groups))

    # --- from the client ---

    async def _refuse(self, code: str, detail: str, *, answer: bool = True) -> None:
        metrics.CLIENT_FRAMES_REFUSED.labels(code).inc()
        if answer and not self._enqueue(_error(code, detail)):
            await self._shut(CloseCode.FELL_BEHIND, OVERFLOW)

    def _take_token(self, now: float) -> bool:
        rate, burst = settings.REALTIME_CLIENT_RATE, settings.REALTIME_CLIENT_BURST
        self.tokens = min(float(burst), self.tokens + (now - self.tokens_at) * rate)
        self.tokens_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        if self.closing or self.writer is None:
            return
        now = asyncio.get_running_loop().time()
        self.last_seen = now
        if now >= self.next_refresh:
            self.next_refresh = now + presence_ttl() / 3
            await self.store.socket_refresh(
                user_id=self.access.user_id, socket_id=self.channel_name, ttl=presence_ttl()
            )
        if not self._take_token(now):
            answer = now >= self.next_rate_error
            if answer:
                self.next_rate_error = now + RATE_ERROR_INTERVAL
            await self._refuse("rate_limited", "Too many messages: slow down.", answer=answer)
            return
        text = message.get("text")
        if text is None:
            await self._refuse("invalid", "Send JSON text frames.")
            return
        if len(text) > settings.REALTIME_MAX_FRAME:
            await self._refuse("too_large", f"Frames are limited to {settings.REALTIME_MAX_FRAME} characters.")
            return
        try:
            content = json.loads(text)
        except ValueError:
            await self._refuse("invalid", "Malformed JSON.")
            return
        if not isinstance(content, dict):
            await self._refuse("invalid", "Send a JSON object.")
            return
        await self._handle(content)

    async def _handle(self, content: dict[str, Any]) -> None:
        message_type = content.get("type")
        if message_type == "ping":
            if not self._enqueue(_PONG):
                await self._shut(CloseCode.FELL_BEHIND, OVERFLOW)
            return
        handler = client_handlers.get(message_type) if isinstance(message_type, str) else None
        if handler is None:
            await self._refuse("unknown_type", f"Unknown message type {str(message_type)[:40]!r}.")
            return
        try:
            await handler(self.context, content)
        except ClientError as exc:
            await self._refuse(exc.code, exc.detail)
