"""The socket's ``location`` message (bookings.tracking.consumers) over the real stack and the Redis channel layer."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from prometheus_client import REGISTRY

from accounts.models import User
from bookings.models import Booking, BookingLocation
from bookings.tests.factories import World
from bookings.tests.tracking_helpers import confirmed_soon, dropped, under_way
from guardiannest.realtime.tests.conftest import Communicator, ws_app
from guardiannest.realtime.tickets import ticket_issue

pytestmark = pytest.mark.django_db(transaction=True)


async def socket_of(user: User) -> Communicator:
    ticket = await sync_to_async(ticket_issue)(user_id=user.pk)
    socket = Communicator(ws_app(), f"/ws/v1?ticket={ticket}")
    connected, _ = await socket.connect()
    assert connected
    return socket


def frame(booking: Booking, **changes: Any) -> dict[str, Any]:
    return {
        "type": "location",
        "booking_id": str(booking.pk),
        "latitude": 52.52,
        "longitude": 13.405,
        "accuracy_m": 6,
    } | changes


def refused(code: str) -> float:
    return REGISTRY.get_sample_value("guardiannest_realtime_client_frames_refused_total", {"reason": code}) or 0.0


async def test_a_location_from_the_sitters_socket_is_stored_and_reaches_the_parents_socket_only(
    world: World, other_parent: User
) -> None:
    booking = await sync_to_async(under_way)(world)
    sitter, parent, stranger = (
        await socket_of(world.sitter),
        await socket_of(world.parent),
        await socket_of(other_parent),
    )

    await sitter.send_json_to(frame(booking))

    envelope = await parent.receive_json_from(timeout=10)
    assert envelope["type"] == "location.updated"
    data = envelope["data"]
    assert data | {"recorded_at": None} == {
        "booking_id": str(booking.pk),
        "sitter_id": str(world.sitter.pk),
        "latitude": 52.52,
        "longitude": 13.405,
        "accuracy_m": 6.0,
        "recorded_at": None,
    }
    stored = await sync_to_async(lambda: list(BookingLocation.objects.filter(booking=booking)))()
    assert [(str(row.latitude), str(row.longitude)) for row in stored] == [("52.520000", "13.405000")]
    assert await stranger.receive_nothing(timeout=0.3)
    assert await sitter.receive_nothing(timeout=0.1)
    for socket in (sitter, parent, stranger):
        await socket.disconnect()


async def test_refusals_answer_an_error_frame_on_the_senders_socket_and_store_nothing(
    world: World, other_sitter: User, settings: Any
) -> None:
    settings.LOCATION_RATE_LIMIT = 3  # one goes to the fix for an unknown booking below: counted before the lookup
    settings.LOCATION_RATE_WINDOW = 60
    booking = await sync_to_async(under_way)(world)
    sitter, parent, stranger = (
        await socket_of(world.sitter),
        await socket_of(world.parent),
        await socket_of(other_sitter),
    )

    await sitter.send_json_to(frame(booking, latitude=123))
    assert (await sitter.receive_json_from(timeout=10))["data"]["code"] == "invalid"
    await sitter.send_json_to(frame(booking, booking_id="nope"))
    assert (await sitter.receive_json_from(timeout=10))["data"]["code"] == "invalid"
    await stranger.send_json_to(frame(booking))
    assert (await stranger.receive_json_from(timeout=10))["data"]["code"] == "not_found"
    await sitter.send_json_to(frame(booking, booking_id=str(uuid.uuid4())))
    assert (await sitter.receive_json_from(timeout=10))["data"]["code"] == "not_found"
    assert await sitter.receive_nothing(timeout=0.1)  # (the stranger's fix counted on the stranger's rate only)

    # the sitter's rate: the next two pass (stored, sent on), the next is dropped and counted
    before, before_frames = dropped("rate_limited"), refused("too_many_locations")
    await sitter.send_json_to(frame(booking, recorded_at="2020-01-01T00:00:00Z"))  # too old: refused before the rate
    assert (await sitter.receive_json_from(timeout=10))["data"]["code"] == "invalid"
    for _ in range(2):
        await sitter.send_json_to(frame(booking))
        assert (await parent.receive_json_from(timeout=10))["type"] == "location.updated"
    await sitter.send_json_to(frame(booking))
    error = await sitter.receive_json_from(timeout=10)
    assert error["type"] == "error" and error["data"]["code"] == "too_many_locations"
    assert dropped("rate_limited") - before == 1
    assert refused("too_many_locations") - before_frames == 1
    assert await parent.receive_nothing(timeout=0.3)
    assert await sync_to_async(BookingLocation.objects.filter(booking=booking).count)() == 2
    for socket in (sitter, parent, stranger):
        await socket.disconnect()


async def test_a_booking_not_in_progress_takes_no_location(world: World) -> None:
    booking = await sync_to_async(confirmed_soon)(world)
    sitter, parent = await socket_of(world.sitter), await socket_of(world.parent)

    await sitter.send_json_to(frame(booking))

    assert (await sitter.receive_json_from(timeout=10))["data"]["code"] == "booking_not_in_progress"
    assert await parent.receive_nothing(timeout=0.3)
    assert not await sync_to_async(BookingLocation.objects.exists)()
    for socket in (sitter, parent):
        await socket.disconnect()
