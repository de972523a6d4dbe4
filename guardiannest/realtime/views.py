from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guardiannest.realtime.serializers import TicketOutputSerializer
from guardiannest.realtime.tickets import SESSION_CLAIM, ticket_issue

SOCKET_PROTOCOL = f"""
A single-use ticket ({settings.REALTIME_TICKET_TTL} s) to open the websocket without putting a JWT in a URL.

**Connect** to `wss://<host>/ws/v1?ticket=<ticket>`, adding `&since=<ts>` after a disconnection, where `ts` is
the `ts` of the last envelope you handled (URL-encoded). The socket belongs to the session of the token that asked
for the ticket.

**Server to client**: envelopes `{{type, id, ts, data}}` for everything you may see (`booking.updated`,
`message.created`, `message.read`, `location.updated`, `emergency.raised`, `emergency.updated`,
`notification.created`; staff also get every `emergency.*`); `{{"type": "pong"}}`; and errors
`{{"type": "error", "data": {{"code", "detail"}}}}` for a frame that was refused (`invalid`, `too_large`,
`unknown_type`, `rate_limited`, `not_found`); the socket stays open.

**Catching up**: with `since`, the server first replays, oldest first, the envelopes sent to you from shortly
before `since` (up to {settings.REALTIME_REPLAY_WINDOW} s back), then sends
`{{"type": "replay.done", "data": {{"replayed": n, "complete": true|false}}}}`. Replayed envelopes may repeat ones
you already have: drop ids you have seen. When `complete` is false (too long away, or too much missed), reload
your lists (conversations, messages, notifications) through the REST API, which is the record of everything.
Live delivery is at most once: anything sent while you had no socket reaches you only this way.

**Client to server**: `{{"type": "ping"}}` about every 30 s (answered `{{"type": "pong"}}`); a socket silent for
{settings.REALTIME_HEARTBEAT_TIMEOUT:g} s is closed. `{{"type": "location", "booking_id", "latitude", "longitude",
"accuracy_m"}}` shares a live location with the other side of a booking under way. Frames are JSON objects of at
most {settings.REALTIME_MAX_FRAME} characters, about {settings.REALTIME_CLIENT_RATE:g} a second (bursts of
{settings.REALTIME_CLIENT_BURST}).

**Close codes**: 4401 no valid ticket, or the session ended or the account was switched off (sign in again);
4403 your access changed (reconnect with a new ticket); 4408 no ping in time (reconnect); 4429 too many open
sockets ({settings.REALTIME_SOCKETS_PER_USER} per user: close another); 4430 you read too slowly and missed
envelopes (reconnect with `since`).
"""


def _session_id(request: Request) -> Any:
    token = request.auth
    return token.get(SESSION_CLAIM) if token is not None and hasattr(token, "get") else None


class RealtimeTicketApi(APIView):
    """A single-use ticket (30 s) to open the websocket without putting a JWT in a URL."""

    throttle_scope = "ticket"

    @extend_schema(
        request=None,
        responses={201: TicketOutputSerializer},
        tags=["realtime"],
        summary="A ticket to open the websocket /ws/v1",
        description=SOCKET_PROTOCOL,
    )
    def post(self, request: Request) -> Response:
        ticket = ticket_issue(user_id=request.user.pk, session_id=_session_id(request))  # type: ignore[arg-type]
        data = {"ticket": ticket, "expires_in": settings.REALTIME_TICKET_TTL}
        return Response(TicketOutputSerializer(data).data, status=status.HTTP_201_CREATED)
