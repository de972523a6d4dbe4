from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from accounts.models import User
from guardiannest.realtime.middleware import origin_and_ticket
from guardiannest.realtime.routing import websocket_urlpatterns
from guardiannest.realtime.tickets import ticket_issue


class Communicator(WebsocketCommunicator):
    """A websocket to the stack in process; connecting may take longer than Channels' 1 s on a busy test machine."""

    async def connect(self, timeout: float = 10) -> Any:
        return await super().connect(timeout)


def ws_app() -> Any:
    """The websocket stack as asgi.py builds it, built now so setting overrides apply."""
    return origin_and_ticket(URLRouter(websocket_urlpatterns))


@pytest.fixture
def socket_for() -> Callable[..., Communicator]:
    def make(
        user: User | None, *, origin: str | None = None, ticket: str | None = None, query: str = ""
    ) -> Communicator:
        if ticket is None and user is not None:
            ticket = ticket_issue(user_id=user.pk)
        path = f"/ws/v1?ticket={ticket}" if ticket else "/ws/v1"
        if query:
            path += ("&" if ticket else "?") + query
        headers = [(b"origin", origin.encode())] if origin else []
        return Communicator(ws_app(), path, headers=headers)

    return make
