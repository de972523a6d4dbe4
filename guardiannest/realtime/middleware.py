"""Websocket handshake: browser origins checked, then the ticket decides who this is."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from guardiannest.realtime.sessions import session_is_live
from guardiannest.realtime.tickets import ticket_redeem


@database_sync_to_async
def _access_for_ticket(ticket: str) -> tuple[Any, str | None]:
    """The ticket's user (AnonymousUser unless active and the session still live) and session id."""
    redeemed = ticket_redeem(ticket=ticket)
    if redeemed is None or not session_is_live(redeemed.session_id):
        return AnonymousUser(), None
    user = get_user_model().objects.filter(pk=redeemed.user_id, is_active=True).first()
    if user is None:
        return AnonymousUser(), None
    return user, redeemed.session_id


class TicketAuthMiddleware:
    """Put ``scope["user"]`` and ``scope["session_id"]`` from the ``?ticket=`` query parameter; never from a JWT."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        ticket = (query.get("ticket") or [""])[0]
        user, session_id = await _access_for_ticket(ticket) if ticket else (AnonymousUser(), None)
        scope = dict(scope, user=user, session_id=session_id)
        return await self.inner(scope, receive, send)


class BrowserOriginValidator(OriginValidator):
    """Browsers must come from an allowed origin; apps that send no Origin are let in.

    Channels' AllowedHostsOriginValidator allows everything in DEBUG and refuses
    a missing Origin; neither fits: mobile apps send none, and the check must
    hold in every mode.
    """

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return super().valid_origin(parsed_origin)


def allowed_origins() -> list[str]:
    """Our own hosts over HTTPS, the CORS allowlist, and with the development defaults any local port."""
    origins = list(settings.CORS_ALLOWED_ORIGINS) + list(settings.CSRF_TRUSTED_ORIGINS)
    origins += [f"https://{host}" for host in settings.ALLOWED_HOSTS if host and host not in {"*", "testserver"}]
    if settings.DEV_DEFAULTS:
        origins += ["localhost", "127.0.0.1"]  # no scheme: any scheme and port
    return origins


def origin_and_ticket(inner: Any) -> Any:
    return BrowserOriginValidator(TicketAuthMiddleware(inner), allowed_origins())
