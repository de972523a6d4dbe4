"""Single-use websocket tickets: a JWT never travels in a URL.

The app asks ``POST realtime/ticket`` with its bearer token and connects with
``/ws/v1?ticket=…`` within the ticket's lifetime. The ticket is stored in the
cache (Redis in production) and redeemed by deleting it: of two racing
connections only the one whose delete removed the key gets in.

A ticket carries the user and the session (the ``sid`` claim of the token
that asked for it): the socket belongs to that session and closes when it
ends (guardiannest.realtime.sessions).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.core.cache import cache

_PREFIX = "wsticket:"
_TICKET_SHAPE = re.compile(r"[A-Za-z0-9_-]+")  # what secrets.token_urlsafe makes
# The JWT claim that names the session (the OpenID Connect name; accounts.services.sessions.SESSION_CLAIM).
SESSION_CLAIM = "sid"


@dataclass(frozen=True)
class Ticket:
    user_id: str
    session_id: str | None


def ticket_issue(*, user_id: UUID | str, session_id: UUID | str | None = None) -> str:
    ticket = secrets.token_urlsafe(32)
    cache.set(_PREFIX + ticket, f"{user_id}|{session_id or ''}", timeout=settings.REALTIME_TICKET_TTL)
    return ticket


def ticket_redeem(*, ticket: str) -> Ticket | None:
    """Who the ticket was issued to, once; ``None`` for anything else."""
    if not ticket or len(ticket) > 128 or not _TICKET_SHAPE.fullmatch(ticket):
        return None
    key = _PREFIX + ticket
    value = cache.get(key)
    if value is None or not cache.delete(key):
        return None
    user_id, _, session_id = str(value).partition("|")
    return Ticket(user_id=user_id, session_id=session_id or None)
