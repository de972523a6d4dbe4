"""The /ws/v1 socket: ticket auth, browser origins, ping, and envelopes for the user."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from guardiannest.realtime.consumers import CLOSE_UNAUTHENTICATED, CloseCode
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


# --- catching up, limits, heartbeats ------------------------------------------------------------


async def test_a_reconnecting_client_gets_what_it_missed_then_live_events(socket_for, parent, other_parent) -> None:
    first = socket_for(parent)
    await first.connect()
    seen = await sync_to_async(broadcast)([user_group(parent.pk)], "booking.updated", {"n": 0})
    assert await first.receive_json_from(timeout=5) == seen
    await first.disconnect()
    # while away: two events for the parent, one for someone else
    missed = [await sync_to_async(broadcast)([user_group(parent.pk)], "message.created", {"n": n}) for n in (1, 2)]
    await sync_to_async(broadcast)([user_group(other_parent.pk)], "message.created", {"n": 99})
    # when the parent reconnects with the ts of the last envelope it handled
    again = socket_for(parent, query=f"since={quote(seen['ts'])}")
    assert (await again.connect())[0]
    replayed = [await again.receive_json_from(timeout=5) for _ in range(3)]
    # then what it missed comes first (possibly with what it had: the client drops ids it has seen), oldest first
    assert [envelope for envelope in replayed if envelope["id"] != seen["id"]][:2] == missed
    done = replayed[-1] if replayed[-1]["type"] == "replay.done" else await again.receive_json_from(timeout=5)
    assert done["type"] == "replay.done" and done["data"]["complete"] is True
    live = await sync_to_async(broadcast)([user_group(parent.pk)], "message.created", {"n": 3})
    assert await again.receive_json_from(timeout=5) == live
    await again.disconnect()


async def test_a_replay_from_too_long_ago_says_it_is_incomplete(socket_for, parent, settings) -> None:
    settings.REALTIME_REPLAY_WINDOW = 60
    socket = socket_for(parent, query="since=2020-01-01T00:00:00%2B00:00")
    assert (await socket.connect())[0]
    done = await socket.receive_json_from(timeout=5)
    assert done["type"] == "replay.done" and done["data"] == {"replayed": 0, "complete": False}
    await socket.disconnect()


async def test_ephemeral_events_are_not_replayed(socket_for, parent) -> None:
    since = timezone.now().isoformat()
    await sync_to_async(broadcast)([user_group(parent.pk)], "location.updated", {"lat": 1}, ephemeral=True)
    socket = socket_for(parent, query=f"since={quote(since)}")
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from(timeout=5))["data"] == {"replayed": 0, "complete": True}
    await socket.disconnect()


async def test_a_user_has_a_limit_of_open_sockets(socket_for, parent, other_parent, settings) -> None:
    settings.REALTIME_SOCKETS_PER_USER = 2
    phone, tablet, third = socket_for(parent), socket_for(parent), socket_for(parent)
    assert (await phone.connect())[0] and (await tablet.connect())[0]
    # the third is accepted, then closed with the reason, and counts for nothing
    assert (await third.connect())[0]
    assert (await third.receive_output(timeout=5)) == {"type": "websocket.close", "code": CloseCode.TOO_MANY_SOCKETS}
    # someone else is not affected, and closing one socket frees a place
    other = socket_for(other_parent)
    assert (await other.connect())[0]
    await tablet.disconnect()
    again = socket_for(parent)
    assert (await again.connect())[0]
    await again.send_json_to({"type": "ping"})
    assert await again.receive_json_from(timeout=5) == {"type": "pong"}
    for socket in (phone, other, again):
        await socket.disconnect()


async def test_a_client_that_stops_sending_is_closed_after_the_heartbeat_timeout(socket_for, parent, settings) -> None:
    settings.REALTIME_HEARTBEAT_TIMEOUT = 0.6
    silent, pinging = socket_for(parent), socket_for(parent)
    await silent.connect()
    await pinging.connect()
    for _ in range(6):  # 1.2 s of pings every 0.2 s
        await pinging.send_json_to({"type": "ping"})
        assert await pinging.receive_json_from(timeout=5) == {"type": "pong"}
        await asyncio.sleep(0.2)
    assert (await silent.receive_output(timeout=2)) == {"type": "websocket.close", "code": CloseCode.HEARTBEAT_MISSED}
    await pinging.disconnect()


# --- bad input ------------------------------------------------------------------------------------


def _refused(reason: str) -> float:
    return REGISTRY.get_sample_value("guardiannest_realtime_client_frames_refused_total", {"reason": reason}) or 0.0


async def test_bad_frames_are_answered_and_counted_and_the_neighbour_hears_nothing(
    socket_for, parent, other_parent, settings
) -> None:
    settings.REALTIME_MAX_FRAME = 1000
    socket, neighbour = socket_for(parent), socket_for(other_parent)
    await socket.connect()
    await neighbour.connect()
    before = {reason: _refused(reason) for reason in ("too_large", "unknown_type", "invalid")}
    await socket.send_json_to({"type": "ping", "padding": "x" * 2000})
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "too_large"
    await socket.send_json_to({"type": "subscribe_everything"})
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "unknown_type"
    await socket.send_to(text_data="[1]")
    assert (await socket.receive_json_from(timeout=5))["data"]["code"] == "invalid"
    assert {reason: _refused(reason) - before[reason] for reason in before} == {
        "too_large": 1,
        "unknown_type": 1,
        "invalid": 1,
    }
    assert await neighbour.receive_nothing(timeout=0.2)
    await socket.disconnect()
    await neighbour.disconnect()


async def test_a_flood_is_dropped_past_the_rate_and_the_socket_stays_usable(socket_for, parent, settings) -> None:
    settings.REALTIME_CLIENT_RATE = 5
    settings.REALTIME_CLIENT_BURST = 5
    socket = socket_for(parent)
    await socket.connect()
    before = _refused("rate_limited")
    for _ in range(50):
        await socket.send_json_to({"type": "ping"})
    answers = []
    while not await socket.receive_nothing(timeout=0.3):
        answers.append(await socket.receive_json_from())
    pongs = [answer for answer in answers if answer == {"type": "pong"}]
    errors = [answer for answer in answers if answer["type"] == "error"]
    assert 5 <= len(pongs) <= 7  # the burst, and what the rate refilled meanwhile
    assert len(errors) == 1 and errors[0]["data"]["code"] == "rate_limited"  # told once, not 45 times
    assert _refused("rate_limited") - before == 50 - len(pongs)
    await asyncio.sleep(0.5)
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()


@pytest.fixture
def location_between_users() -> Any:
    """A location rule as the app owning bookings registers it: here a booking id names the user who may see it."""
    from guardiannest.realtime.handlers import client_handlers, location_handler

    bookings: dict[str, str] = {}  # booking id -> the user on the other side

    def audience(user_id: str, booking_id: str) -> list[str] | None:
        other = bookings.get(booking_id)
        return [user_group(other)] if other is not None else None

    # The app owning bookings registers its own at start-up (bookings.tracking): this test's rule stands in for it.
    previous = client_handlers.unregister("location")
    client_handlers.register("location", location_handler(audience))
    yield bookings
    client_handlers.unregister("location")
    if previous is not None:
        client_handlers.register("location", previous)


async def test_a_location_reaches_the_other_side_of_the_booking_and_not_yours_is_refused(
    socket_for, parent, sitter, other_parent, location_between_users
) -> None:
    booking = str(uuid.uuid4())
    location_between_users[booking] = str(parent.pk)
    sitter_socket, parent_socket, stranger = socket_for(sitter), socket_for(parent), socket_for(other_parent)
    for socket in (sitter_socket, parent_socket, stranger):
        await socket.connect()
    fix = {"type": "location", "booking_id": booking, "latitude": 52.52, "longitude": 13.4, "accuracy_m": 8}
    await sitter_socket.send_json_to(fix)
    envelope = await parent_socket.receive_json_from(timeout=5)
    assert envelope["type"] == "location.updated"
    assert envelope["data"] | {"recorded_at": None} == {
        "booking_id": booking,
        "user_id": str(sitter.pk),
        "latitude": 52.52,
        "longitude": 13.4,
        "accuracy_m": 8.0,
        "recorded_at": None,
    }
    # someone else's booking, and nonsense, are refused on the sender's socket only
    before = _refused("not_found")
    await stranger.send_json_to(fix | {"booking_id": str(uuid.uuid4())})
    assert (await stranger.receive_json_from(timeout=5))["data"]["code"] == "not_found"
    assert _refused("not_found") - before == 1
    await sitter_socket.send_json_to(fix | {"latitude": 123})
    assert (await sitter_socket.receive_json_from(timeout=5))["data"]["code"] == "invalid"
    assert await parent_socket.receive_nothing(timeout=0.2)
    for socket in (sitter_socket, parent_socket, stranger):
        await socket.disconnect()
