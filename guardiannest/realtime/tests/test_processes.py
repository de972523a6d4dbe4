"""Real processes: two uvicorn realtime processes on one Redis, fed by web code and a Celery worker process.

Every socket here is a real TCP websocket to a uvicorn process running the
production stack (guardiannest.asgi) on the test database.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket as tcp_socket
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from accounts.models import User
from accounts.tests.factories import ParentFactory, StaffFactory
from conftest import client_for
from guardiannest.realtime.events import broadcast
from guardiannest.realtime.groups import STAFF_EMERGENCIES, user_group
from guardiannest.realtime.presence import user_is_online
from guardiannest.realtime.tests.processes import Process, Realtime, child_environment, realtime_process, running
from guardiannest.realtime.tickets import ticket_issue
from messaging.services.conversations import conversation_start

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SEND_QUEUE = 64  # the reader must never fall this far behind on a loaded test machine; the stuck one does


@pytest.fixture(scope="module")
def pair(django_db_setup: Any, django_db_blocker: Any) -> Iterator[tuple[Realtime, Realtime]]:
    """Two realtime processes, as two replicas behind the proxy."""
    env = {"REALTIME_SOCKETS_PER_USER": "600", "REALTIME_SEND_QUEUE": str(SEND_QUEUE)}
    with django_db_blocker.unblock():
        first, second = realtime_process("realtime-1", **env), realtime_process("realtime-2", **env)
    with running(first, second):
        yield first, second


async def open_socket(server: Realtime, user: User, **options: Any) -> ClientConnection:
    ticket = await sync_to_async(ticket_issue)(user_id=user.pk)
    return await connect(f"{server.ws_url}?ticket={ticket}", open_timeout=30, **options)


async def next_envelope(socket: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(socket.recv(), timeout)))


async def hears_nothing(socket: ClientConnection, seconds: float = 0.5) -> bool:
    try:
        await asyncio.wait_for(socket.recv(), seconds)
    except TimeoutError:
        return True
    return False


async def test_a_message_posted_on_the_web_reaches_both_participants_on_every_process(pair, parent, sitter) -> None:
    first, second = pair
    conversation, _ = await sync_to_async(conversation_start)(actor=parent, participant_id=sitter.pk)
    stranger = await sync_to_async(ParentFactory)()
    parent_here = await open_socket(first, parent)
    parent_there = await open_socket(second, parent)
    sitter_there = await open_socket(second, sitter)
    stranger_here = await open_socket(first, stranger)
    # when the parent posts through the API (the code a gunicorn worker runs; broadcast after commit)
    api = await sync_to_async(client_for)(parent)
    response = await sync_to_async(api.post)(
        f"/api/v1/conversations/{conversation.pk}/messages", {"body": "On my way"}, format="json"
    )
    assert response.status_code == 201
    # then every socket of both participants, on both processes, gets the same envelope
    received = [await next_envelope(socket) for socket in (parent_here, parent_there, sitter_there)]
    assert {envelope["id"] for envelope in received} == {received[0]["id"]}
    assert received[0]["type"] == "message.created" and received[0]["data"]["id"] == response.json()["id"]
    assert await hears_nothing(stranger_here)
    for socket in (parent_here, parent_there, sitter_there, stranger_here):
        await socket.close()


@pytest.fixture
def worker() -> Iterator[Process]:
    process = Process(
        name="celery-worker",
        argv=[
            sys.executable,
            "-m",
            "celery",
            "-A",
            "guardiannest",
            "worker",
            "-P",
            "solo",
            "-Q",
            "default",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--include",
            "guardiannest.realtime.tests.worker_tasks",
            "--loglevel",
            "WARNING",
        ],
        env=child_environment(),
    )
    with running(process):
        yield process


async def test_an_event_a_celery_worker_process_publishes_reaches_sockets_on_every_process(
    pair, worker, parent
) -> None:
    from guardiannest.celery import app

    first, second = pair
    sockets = [await open_socket(first, parent), await open_socket(second, parent)]
    await sync_to_async(app.send_task)(
        "tests.realtime_broadcast", args=[[user_group(parent.pk)], "from-worker"], queue="default"
    )
    for socket in sockets:
        envelope = await next_envelope(socket, timeout=60)  # the worker may still be starting
        assert envelope["type"] == "notification.created" and envelope["data"] == {"marker": "from-worker"}
        await socket.close()


async def test_one_publish_reaches_500_staff_sockets_spread_over_the_processes(pair) -> None:
    staff = await sync_to_async(StaffFactory)()
    sockets = await asyncio.gather(*(open_socket(pair[n % 2], staff) for n in range(500)))
    try:
        sent = await sync_to_async(broadcast)([STAFF_EMERGENCIES], "emergency.raised", {"id": "sos-1"})
        received = await asyncio.gather(*(next_envelope(socket, timeout=30) for socket in sockets))
        assert all(envelope == sent for envelope in received)
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets))


def silent_client(server: Realtime, user: User) -> tcp_socket.socket:
    """A websocket client that completes the handshake and then never reads."""
    ticket = ticket_issue(user_id=user.pk)
    tcp = tcp_socket.socket()
    tcp.setsockopt(tcp_socket.SOL_SOCKET, tcp_socket.SO_RCVBUF, 16_384)
    tcp.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    tcp.sendall(
        f"GET /ws/v1?ticket={ticket} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert tcp.recv(12) == b"HTTP/1.1 101"
    return tcp


def read_until_closed(tcp: tcp_socket.socket, timeout: float = 30) -> None:
    tcp.settimeout(timeout)
    while tcp.recv(1 << 20):
        pass
    tcp.close()


def _metric(server: Realtime, name: str, reason: str) -> float:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/metrics", headers={"Authorization": "Bearer test-metrics-token"}
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        text = answer.read().decode()
    for line in text.splitlines():
        if line.startswith(f'{name}{{reason="{reason}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_a_client_that_reads_nothing_is_closed_and_counted_and_never_delays_the_others(pair, parent) -> None:
    first, _ = pair
    before = await sync_to_async(_metric)(first, "guardiannest_realtime_sockets_closed_total", "send_queue_overflow")
    # a client that stops reading: the handshake, then nothing read (a small buffer, so the kernel holds little)
    stuck = await sync_to_async(silent_client)(first, parent)
    reader = await open_socket(first, parent, max_size=None)
    padding = "x" * 30_000
    sent = []
    for n in range(300):  # ~9 MB: more than the loopback buffers hold
        sent.append(
            (await sync_to_async(broadcast)([user_group(parent.pk)], "booking.updated", {"n": n, "p": padding}))["id"]
        )
    # the reader gets every envelope, in order, while the stuck one is dropped
    received = [(await next_envelope(reader, timeout=30))["id"] for _ in sent]
    assert received == sent
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = await sync_to_async(_metric)(first, "guardiannest_realtime_sockets_closed_total", "send_queue_overflow")
        if now > before:
            break
        await asyncio.sleep(0.1)
    assert now == before + 1
    # the stuck client, reading again, finds the connection closed
    await sync_to_async(read_until_closed)(stuck)
    await reader.close()
    # each socket's place is released by the server's disconnect handler, which runs after the close handshake
    deadline = time.monotonic() + 5
    while await sync_to_async(user_is_online)(user_id=parent.pk) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await sync_to_async(user_is_online)(user_id=parent.pk) is False


async def test_after_a_revoke_the_real_socket_is_closed_within_a_second(pair, parent) -> None:
    from guardiannest.realtime.tests.test_sessions import SignedIn

    phone, laptop = await sync_to_async(SignedIn)(parent), await sync_to_async(SignedIn)(parent)
    ticket = await sync_to_async(phone.ticket)()
    socket = await connect(f"{pair[1].ws_url}?ticket={ticket}", open_timeout=30)
    response = await sync_to_async(laptop.api.delete)(f"/api/v1/security/sessions/{phone.session.pk}")
    revoked_at = time.monotonic()
    assert response.status_code == 204
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), 5)
    assert time.monotonic() - revoked_at < 1.0
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
