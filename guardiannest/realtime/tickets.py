"""Single-use websocket tickets: a JWT never travels in a URL.

The app asks ``POST realtime/ticket`` with its bearer token and connects with
``/ws/v1?ticket=…`` within the ticket's lifetime. The ticket is stored in the
cache (Redis in production) and redeemed by deleting it: of two racing
connections only the one whose delete removed the key gets in.
"""

from __future__ import annotations

import re
import secrets
from uuid import UUID

from django.conf import settings
from django.core.cache import cache

_PREFIX = "wsticket:"
_TICKET_SHAPE = re.compile(r"[A-Za-z0-9_-]+")  # what secrets.token_urlsafe makes


def ticket_issue(*, user_id: UUID) -> str:
    ticket = secrets.token_urlsafe(32)
    cache.set(_PREFIX + ticket, str(user_id), timeout=settings.REALTIME_TICKET_TTL)
    return ticket


def ticket_redeem(*, ticket: str) -> str | None:
    """The user id the ticket was issued to, once; ``None`` for anything else."""
    if not ticket or len(ticket) > 128 or not _TICKET_SHAPE.fullmatch(ticket):
        return None
    key = _PREFIX + ticket
    user_id = cache.get(key)
    if user_id is None or not cache.delete(key):
        return None
    return str(user_id)
