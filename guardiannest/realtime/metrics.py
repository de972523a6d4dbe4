"""Prometheus counters of the realtime processes: what was refused, dropped or closed, and why."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SOCKETS_OPEN = Gauge(
    "guardiannest_realtime_sockets_open",
    "Websockets open on this process.",
    multiprocess_mode="livesum",
)
SOCKETS_REFUSED = Counter(
    "guardiannest_realtime_sockets_refused",
    "Websocket handshakes refused: no valid ticket, or the user's limit of open sockets reached.",
    ["reason"],
)
SOCKETS_CLOSED = Counter(
    "guardiannest_realtime_sockets_closed",
    "Websockets the server closed: send queue overflow (a slow client), missed heartbeats, "
    "session ended, user deactivated or demoted.",
    ["reason"],
)
CLIENT_FRAMES_REFUSED = Counter(
    "guardiannest_realtime_client_frames_refused",
    "Client frames dropped or answered with an error: invalid, too large, unknown type, rate limited, not found.",
    ["reason"],
)
EVENTS_PUBLISHED = Counter(
    "guardiannest_realtime_events_published",
    "Envelopes published to channel groups (one per group).",
)
PUBLISH_FAILURES = Counter(
    "guardiannest_realtime_publish_failures",
    "Publishes that failed (Redis unreachable); the database stays the record and clients catch up.",
)
