"""Messages a client may send on its socket, besides ``ping``: each app registers its own.

A handler gets the socket's :class:`SocketContext` (who opened it, and a way
to publish) and the frame's JSON object. It checks the frame, authorises it
through the owning app's selectors (never trusting a client's claim about
who it is or what it belongs to), and publishes; a refusal is a
:class:`ClientError`, answered with an error frame on this socket only.

The location message of the API contract (``{type: "location", booking_id,
latitude, longitude, accuracy_m}``) is registered by bookings
(``bookings.tracking.consumers``: each fix validated, rate-limited, stored and
sent on). :func:`location_handler` here is the bare relay (checked, authorised
by a rule, published, nothing stored), kept for tests and bench/realtime.py.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from guardiannest.registries import Registry


class ClientError(Exception):
    """A client frame refused: ``code`` and ``detail`` go back in an error frame, and are counted."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class SocketContext:
    """One open socket as handlers see it."""

    user_id: str
    session_id: str | None
    is_staff: bool
    publish: Callable[[Sequence[str], str, dict[str, Any]], Awaitable[None]]
    # Per-socket memo for handlers (authorisations for a short while): dropped with the socket.
    memo: dict[Any, tuple[float, Any]] = field(default_factory=dict)


ClientHandler = Callable[[SocketContext, dict[str, Any]], Awaitable[None]]
client_handlers: Registry[ClientHandler] = Registry("realtime_client_handlers")

# Who may see the live location of a booking sent by ``user_id``: the groups to publish to, or None when
# the user may not share it (not their booking, not under way). Sync: it may query the database.
LocationAudience = Callable[[str, str], Sequence[str] | None]

# How long a socket trusts an audience it looked up: a sitter sends a fix every few seconds, and the
# booking's state changes far less often. A revoked session closes the socket anyway.
AUDIENCE_TTL = 30.0
# A socket remembers this many authorisations at most (a client naming ids at random gains nothing).
MEMO_LIMIT = 64


def _number(content: dict[str, Any], name: str, low: float, high: float, *, required: bool = True) -> float | None:
    value = content.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ClientError("invalid", f"{name} must be a number.")
    if not low <= value <= high:
        raise ClientError("invalid", f"{name} must be between {low:g} and {high:g}.")
    return float(value)


def location_handler(audience: LocationAudience, *, ttl: float = AUDIENCE_TTL) -> ClientHandler:
    """The ``location`` message: checked, authorised by ``audience``, published as ``location.updated``."""
    lookup = database_sync_to_async(audience)

    async def handle(socket: SocketContext, content: dict[str, Any]) -> None:
        raw_booking = content.get("booking_id")
        try:
            booking_id = str(uuid.UUID(str(raw_booking)))
        except ValueError:
            raise ClientError("invalid", "booking_id must be a booking's id.") from None
        data = {
            "booking_id": booking_id,
            "user_id": socket.user_id,
            "latitude": _number(content, "latitude", -90, 90),
            "longitude": _number(content, "longitude", -180, 180),
            "accuracy_m": _number(content, "accuracy_m", 0, 100_000, required=False),
            "recorded_at": timezone.now().isoformat(),
        }
        key = ("location", booking_id)
        now = time.monotonic()
        remembered = socket.memo.get(key)
        if remembered is not None and remembered[0] > now:
            groups = remembered[1]
        else:
            groups = await lookup(socket.user_id, booking_id)
            if len(socket.memo) >= MEMO_LIMIT:
                socket.memo.clear()
            socket.memo[key] = (now + ttl, groups)
        if not groups:
            raise ClientError("not_found", "No booking of yours under way has this id.")
        await socket.publish(groups, "location.updated", data)

    return handle
