"""The /ws/v1 socket: ticket auth, browser origins, ping, and envelopes for the user."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from guardiannest.realtime.consumers import CLOSE_UNAUTHENTICATED
from guardiannest.realtime.events import broadcast
from guardiannest.realtime.groups import STAFF_EMERGENCIES, user_group

pytestmark = pytest.mark.django_db(transaction=True)


def test_ticket_endpoint_hands_out_a_short_single_use_ticket(parent_api: APIClient) -> None:
    response = parent_api.post("/api/v1/realtime/ticket")
    assert response.status_code == 201
    body = response.json()
    assert body["expires_in"] == 30 and len(body["ticket"]) >= 32


def test_ticket_endpoint_needs_a_user(api: APIClient) -> None:
    assert api.post("/api/v1/realtime/ticket").status_code == 401


async def test_a_ticket_opens_the_socket_and_ping_gets_pong(socket_for, parent) -> None:
    socket = socket_for(parent)
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()


async def test_a_ticket_works_once(socket_for, parent) -> None:
    from guardiannest.realtime.tickets import ticket_issue

    ticket = await sync_to_async(ticket_issue)(user_id=parent.pk)
    first = socket_for(None, ticket=ticket)
    assert (await first.connect())[0]
    second = socket_for(None, ticket=ticket)
    connected, code = await second.connect()
    assert not connected and code == CLOSE_UNAUTHENTICATED
    await first.disconnect()


@pytest.mark.parametrize("ticket", ["", "made-up", "x" * 500])
async def test_no_or_bad_ticket_is_refused(socket_for, ticket: str) -> None:
    socket = socket_for(None, ticket=ticket)
    connected, code = await socket.connect()
    assert not connected and code == CLOSE_UNAUTHENTICATED


async def test_an_inactive_user_is_refused(socket_for, parent) -> None:
    socket = socket_for(parent)
    parent.is_active = False
    await sync_to_async(parent.save)()
    connected, _ = await socket.connect()
    assert not connected


async def test_a_foreign_browser_origin_is_refused(socket_for, parent) -> None:
    connected, _ = await socket_for(parent, origin="https://evil.example").connect()
    assert not connected


async def test_an_allowed_browser_origin_and_an_app_without_origin_get_in(socket_for, parent, settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    browser = socket_for(parent, origin="https://app.example.com")
    app = socket_for(parent)
    assert (await browser.connect())[0] and (await app.connect())[0]
    await browser.disconnect()
    await app.disconnect()


async def test_bad_client_messages_get_an_error_not_a_disconnect(socket_for, parent) -> None:
    socket = socket_for(parent)
    await socket.connect()
    await socket.send_to(text_data="{not json")
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "invalid"
    await socket.send_json_to(["a", "list"])
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "invalid"
    await socket.send_json_to({"type": "subscribe_everything"})
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "unknown_type"
    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "invalid"
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()


async def test_every_device_of_a_user_gets_the_envelope_and_nobody_else(socket_for, parent, other_parent) -> None:
    phone, tablet, stranger = socket_for(parent), socket_for(parent), socket_for(other_parent)
    for socket in (phone, tablet, stranger):
        await socket.connect()
    # when
    sent = await sync_to_async(broadcast)([user_group(parent.pk)], "booking.updated", {"id": "b-1"})
    # then
    for socket in (phone, tablet):
        envelope = await socket.receive_json_from(timeout=5)
        assert envelope == sent
        assert set(envelope) == {"type", "id", "ts", "data"} and envelope["data"] == {"id": "b-1"}
    assert await stranger.receive_nothing(timeout=0.3)
    for socket in (phone, tablet, stranger):
        await socket.disconnect()


async def test_staff_sockets_receive_emergencies(socket_for, parent, staff) -> None:
    staff_socket, parent_socket = socket_for(staff), socket_for(parent)
    await staff_socket.connect()
    await parent_socket.connect()
    await sync_to_async(broadcast)([STAFF_EMERGENCIES], "emergency.raised", {"id": "e-1"})
    assert (await staff_socket.receive_json_from(timeout=5))["type"] == "emergency.raised"
    assert await parent_socket.receive_nothing(timeout=0.3)
    await staff_socket.disconnect()
    await parent_socket.disconnect()


async def test_presence_follows_open_sockets(socket_for, parent) -> None:
    from guardiannest.realtime.presence import user_is_online

    online = sync_to_async(user_is_online)
    assert not await online(user_id=parent.pk)
    phone, tablet = socket_for(parent), socket_for(parent)
    await phone.connect()
    await tablet.connect()
    assert await online(user_id=parent.pk)
    await phone.disconnect()
    assert await online(user_id=parent.pk)
    await tablet.disconnect()
    assert not await online(user_id=parent.pk)
