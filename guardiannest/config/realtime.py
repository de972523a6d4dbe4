"""The websockets: tickets, per-user and per-socket limits, heartbeats, session re-checks, the replay window.

Star-imported by ``guardiannest.settings``; README, "Realtime", says what each limit does.
"""

from __future__ import annotations

from guardiannest.config.environment import env

REALTIME_TICKET_TTL = 30  # seconds; a websocket ticket is single use
# Open sockets one user may hold at once, over every realtime process (a phone, a tablet, a few tabs).
REALTIME_SOCKETS_PER_USER: int = env.int("REALTIME_SOCKETS_PER_USER", default=10)
# Envelopes waiting for one socket; a client that falls this far behind is closed (it catches up on reconnect).
REALTIME_SEND_QUEUE: int = env.int("REALTIME_SEND_QUEUE", default=256)
# Seconds without any frame from the client (apps ping every 30 s) before the socket is closed.
REALTIME_HEARTBEAT_TIMEOUT: float = env.float("REALTIME_HEARTBEAT_TIMEOUT", default=75)
# Seconds between re-checks of each socket's session and user (ended, deactivated, demoted) in the database.
REALTIME_SESSION_RECHECK: float = env.float("REALTIME_SESSION_RECHECK", default=30)
# Seconds of events kept per group for a reconnecting client (``?since=``).
REALTIME_REPLAY_WINDOW: int = env.int("REALTIME_REPLAY_WINDOW", default=300)
# Client frames: the largest accepted (bytes), and a token bucket per socket (frames per second, burst).
REALTIME_MAX_FRAME: int = env.int("REALTIME_MAX_FRAME", default=16_384)
REALTIME_CLIENT_RATE: float = env.float("REALTIME_CLIENT_RATE", default=10)
REALTIME_CLIENT_BURST: int = env.int("REALTIME_CLIENT_BURST", default=30)
