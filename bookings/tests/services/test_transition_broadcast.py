"""booking.updated reaches both parties' sockets over the real channel layer (Redis), and nobody else's."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from accounts.models import User
from bookings.models import Booking
from bookings.services import booking_accept
from bookings.tests.factories import World, bookable_sitter, family
from guardiannest.realtime.middleware import origin_and_ticket
from guardiannest.realtime.routing import websocket_urlpatterns
from guardiannest.realtime.tickets import ticket_issue

pytestmark = pytest.mark.django_db(transaction=True)


async def _socket(user: User) -> WebsocketCommunicator:
    ticket = await database_sync_to_async(ticket_issue)(user_id=user.pk)
    socket = WebsocketCommunicator(origin_and_ticket(URLRouter(websocket_urlpatterns)), f"/ws/v1?ticket={ticket}")
    connected, _ = await socket.connect()
    assert connected
    return socket


@database_sync_to_async
def _requested(parent: User, sitter: User) -> Booking:
    bookable_sitter(sitter)
    return World(parent=parent, sitter=sitter, child=family(parent)).book()


async def _updates(socket: WebsocketCommunicator, booking: Booking, count: int) -> list[dict[str, Any]]:
    seen = []
    while len(seen) < count:
        envelope = await socket.receive_json_from(timeout=5)
        if envelope["type"] == "booking.updated" and envelope["data"]["booking_id"] == str(booking.pk):
            assert set(envelope) == {"type", "id", "ts", "data"}
            seen.append(envelope["data"])
    return seen


async def test_accepting_broadcasts_booking_updated_to_both_parties(
    parent: User, sitter: User, other_parent: User
) -> None:
    booking = await _requested(parent, sitter)
    parent_socket, sitter_socket, stranger = [await _socket(user) for user in (parent, sitter, other_parent)]

    await database_sync_to_async(booking_accept)(booking_id=booking.pk, actor=sitter)

    for socket in (parent_socket, sitter_socket):
        # accepted (the hold), then confirmed (the payment authorised): two moves, in order
        assert [data["status"] for data in await _updates(socket, booking, 2)] == ["accepted", "confirmed"]
    assert await stranger.receive_nothing(timeout=0.3)
    for socket in (parent_socket, sitter_socket, stranger):
        await socket.disconnect()
