"""emergency.* over the real /ws/v1 socket and the Redis channel layer: both parties and staff, nobody else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from conftest import client_for
from emergencies.tests.factories import Family

pytestmark = pytest.mark.django_db(transaction=True)

SocketFor = Callable[[User], WebsocketCommunicator]
PLACE = {"latitude": 52.520008, "longitude": 13.404954}


@database_sync_to_async
def _post(user: User, path: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
    response = client_for(user).post(path, body or {}, format="json")
    assert response.status_code == status, response.content
    return response.json()


async def _open(socket_for: SocketFor, *users: User) -> list[WebsocketCommunicator]:
    sockets = [await database_sync_to_async(socket_for)(user) for user in users]
    for socket in sockets:
        connected, _ = await socket.connect()
        assert connected
    return sockets


async def test_an_sos_reaches_both_parties_and_staff_at_once_and_nobody_else(
    socket_for: SocketFor, booked: Family, staff: User, other_parent: User
) -> None:
    parent, sitter, desk, stranger = await _open(socket_for, booked.parent, booked.sitter, staff, other_parent)

    # when the sitter raises an SOS
    raised = await _post(
        booked.sitter, "/api/v1/emergencies", {"booking_id": str(booked.booking.pk), **PLACE, "message": "Help"}, 201
    )

    # then each party's socket and the staff socket receive it
    for socket in (parent, sitter, desk):
        envelope = await socket.receive_json_from(timeout=5)
        assert envelope["type"] == "emergency.raised"
        assert set(envelope) == {"type", "id", "ts", "data"}
        assert envelope["data"]["id"] == raised["id"] and envelope["data"]["status"] == "active"
        assert envelope["data"]["booking_id"] == str(booked.booking.pk)
        assert envelope["data"]["latitude"] == "52.520008" and envelope["data"]["message"] == "Help"
    assert await stranger.receive_nothing(timeout=0.3)

    # when the parent acknowledges
    await _post(booked.parent, f"/api/v1/emergencies/{raised['id']}/acknowledge")

    # then everyone concerned sees the update
    for socket in (parent, sitter, desk):
        envelope = await socket.receive_json_from(timeout=5)
        assert envelope["type"] == "emergency.updated" and envelope["data"]["status"] == "acknowledged"
        assert envelope["data"]["acknowledged_by"] == {"id": str(booked.parent.pk), "role": "parent"}
    assert await stranger.receive_nothing(timeout=0.3)
    for socket in (parent, sitter, desk, stranger):
        await socket.disconnect()


async def test_a_repeated_tap_broadcasts_nothing_more(socket_for: SocketFor, parent: User, staff: User) -> None:
    (desk,) = await _open(socket_for, staff)
    await _post(parent, "/api/v1/emergencies", PLACE, 201)
    assert (await desk.receive_json_from(timeout=5))["type"] == "emergency.raised"

    # the same signed-in device again: the same alert, no second event
    response = await database_sync_to_async(_repeat)(parent)

    assert response == (201, 200)
    assert (await desk.receive_json_from(timeout=5))["type"] == "emergency.raised"  # the second client's first tap
    assert await desk.receive_nothing(timeout=0.5)
    await desk.disconnect()


def _repeat(parent: User) -> tuple[int, int]:
    client = client_for(parent)
    first = client.post("/api/v1/emergencies", PLACE, format="json").status_code
    return first, client.post("/api/v1/emergencies", PLACE, format="json").status_code


async def test_the_admin_pages_socket_receives_every_sos(parent: User, staff_client: Any) -> None:
    """What admin-live.js does: a ticket from the admin session (password + OTP), then the staff socket."""
    from channels.routing import URLRouter

    from guardiannest.realtime.middleware import origin_and_ticket
    from guardiannest.realtime.routing import websocket_urlpatterns

    response = await database_sync_to_async(staff_client.post)("/admin/emergencies/emergency/live-ticket/")
    assert response.status_code == 201
    page = WebsocketCommunicator(
        origin_and_ticket(URLRouter(websocket_urlpatterns)), f"/ws/v1?ticket={response.json()['ticket']}"
    )
    assert (await page.connect())[0]

    raised = await _post(parent, "/api/v1/emergencies", PLACE, 201)

    envelope = await page.receive_json_from(timeout=5)
    assert envelope["type"] == "emergency.raised" and envelope["data"]["id"] == raised["id"]
    await page.disconnect()
