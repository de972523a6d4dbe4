"""Catching up after a reconnect: a short replay of what the socket's groups were sent.

A client that loses its socket (network change, app in the background, a
realtime process restarting, the server closing a slow reader) reconnects
with ``/ws/v1?ticket=…&since=<ts>``, where ``ts`` is the ``ts`` of the last
envelope it handled. Before any live event it then gets, oldest first, every
envelope published to its groups from a little before ``since`` (a margin
for clocks: ``SINCE_MARGIN_MS``) and then ``{"type": "replay.done", "data":
{"replayed": n, "complete": bool}}``. Replayed envelopes may repeat some the
client already has: it drops ids it has seen.

``complete`` is false when ``since`` is older than ``REALTIME_REPLAY_WINDOW``
seconds, cannot be read, or more than ``REPLAY_LIMIT`` envelopes were missed:
the client then reloads its lists (conversations, messages, notifications,
bookings) through the REST API, the record of everything.

Live locations are not kept (``ephemeral``): the next fix replaces them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from guardiannest.realtime.store import RecordedEvent, Store, now_ms

# Envelopes stamped up to this long before ``since`` are replayed too: the stamp comes from the
# publishing server's clock, the order of the buffer from Redis's.
SINCE_MARGIN_MS = 2_000
# At most this many envelopes are replayed; more means a long absence: reload the lists.
REPLAY_LIMIT = 500


@dataclass(frozen=True)
class Replay:
    events: list[RecordedEvent]
    complete: bool


def _since_ms(since: str) -> int | None:
    try:
        moment = datetime.fromisoformat(since.strip().replace(" ", "+"))  # a "+" unencoded in a URL reads as " "
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp() * 1000)


async def replay_since(*, store: Store, groups: Sequence[str], since: str) -> Replay:
    """What was published to ``groups`` since ``since`` (oldest first, each envelope once), and whether that is all."""
    since_ms = _since_ms(since)
    window_ms = settings.REALTIME_REPLAY_WINDOW * 1000
    if since_ms is None or since_ms < now_ms() - window_ms:
        return Replay([], complete=False)
    found = await store.recorded_since(groups=groups, since_ms=since_ms - SINCE_MARGIN_MS, limit=REPLAY_LIMIT + 1)
    unique: dict[str, RecordedEvent] = {}
    for event in sorted(found, key=lambda event: event.at_ms):
        unique.setdefault(event.event_id, event)
    events = list(unique.values())
    return Replay(events[:REPLAY_LIMIT], complete=len(events) <= REPLAY_LIMIT)
