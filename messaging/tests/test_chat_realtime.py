"""Chat over the real /ws/v1 socket: messages and read receipts arrive live, pushes only when offline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from conftest import client_for
from messaging.models import Conversation, Notification
from messaging.services.chat import OFFLINE_KIND
from messaging.services.conversations import conversation_start
from messaging.tests.chat_helpers import read_url, send

pytestmark = pytest.mark.django_db(transaction=True)

SocketFor = Callable[[User], WebsocketCommunicator]


async def _open(socket_for: SocketFor, *users: User) -> list[WebsocketCommunicator]:
    sockets = [socket_for(user) for user in users]
    for socket in sockets:
        connected, _ = await socket.connect()
        assert connected
    return sockets


async def _close(*sockets: WebsocketCommunicator) -> None:
    for socket in sockets:
        await socket.disconnect()


@database_sync_to_async
def _start(parent: User, sitter: User) -> Conversation:
    return conversation_start(actor=parent, participant_id=sitter.pk)[0]


@database_sync_to_async
def _send(user: User, conversation: Conversation, body: str) -> Any:
    response = send(client_for(user), conversation, body)
    assert response.status_code == 201, response.content
    return response.json()


@database_sync_to_async
def _read(user: User, conversation: Conversation, message_id: str) -> Any:
    response = client_for(user).post(read_url(conversation), {"message_id": message_id}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@database_sync_to_async
def _offline_pushes() -> list[tuple[Any, Any]]:
    return list(Notification.objects.filter(kind=OFFLINE_KIND).values_list("user_id", "data"))


async def test_a_message_reaches_every_socket_of_both_participants_and_nobody_else(
    socket_for: SocketFor, parent: User, sitter: User, other_parent: User
) -> None:
    conversation = await _start(parent, sitter)
    parent_phone, parent_tablet, sitter_phone, stranger = await _open(socket_for, parent, parent, sitter, other_parent)

    sent = await _send(parent, conversation, "<b>On my way</b>")

    for socket in (parent_phone, parent_tablet, sitter_phone):
        envelope = await socket.receive_json_from(timeout=5)
        assert envelope["type"] == "message.created"
        assert set(envelope) == {"type", "id", "ts", "data"}
        assert envelope["data"] == sent  # the same object the REST answer holds
        assert envelope["data"]["body"] == "On my way"
    assert await stranger.receive_nothing(timeout=0.3)
    assert await _offline_pushes() == []  # the sitter had a socket open
    await _close(parent_phone, parent_tablet, sitter_phone, stranger)


async def test_a_read_receipt_reaches_the_other_participant(socket_for: SocketFor, parent: User, sitter: User) -> None:
    conversation = await _start(parent, sitter)
    parent_socket, sitter_socket = await _open(socket_for, parent, sitter)
    sent = await _send(sitter, conversation, "Bedtime went fine")
    for socket in (parent_socket, sitter_socket):
        assert (await socket.receive_json_from(timeout=5))["type"] == "message.created"

    await _read(parent, conversation, sent["id"])

    receipt = await sitter_socket.receive_json_from(timeout=5)
    assert receipt["type"] == "message.read"
    assert receipt["data"]["conversation_id"] == str(conversation.pk)
    assert receipt["data"]["message_id"] == sent["id"] and receipt["data"]["reader_id"] == str(parent.pk)
    assert await parent_socket.receive_nothing(timeout=0.3)
    await _read(parent, conversation, sent["id"])  # the same receipt again moves nothing
    assert await sitter_socket.receive_nothing(timeout=0.3)
    await _close(parent_socket, sitter_socket)


async def test_the_recipient_sees_the_safety_warning_live(socket_for: SocketFor, parent: User, sitter: User) -> None:
    conversation = await _start(parent, sitter)
    (parent_socket,) = await _open(socket_for, parent)

    await _send(sitter, conversation, "Easier if you Venmo me directly")

    envelope = await parent_socket.receive_json_from(timeout=5)
    assert envelope["data"]["safety_warning"]["code"] == "off_platform_payment"
    await _close(parent_socket)


async def test_a_recipient_without_a_socket_gets_a_push_and_one_with_a_socket_does_not(
    socket_for: SocketFor, parent: User, sitter: User
) -> None:
    conversation = await _start(parent, sitter)
    (sitter_socket,) = await _open(socket_for, sitter)

    await _send(parent, conversation, "while you are online")
    assert (await sitter_socket.receive_json_from(timeout=5))["type"] == "message.created"
    assert await _offline_pushes() == []

    await _close(sitter_socket)
    offline = await _send(parent, conversation, "while you are away")

    pushes = await _offline_pushes()
    assert len(pushes) == 1
    user_id, data = pushes[0]
    assert user_id == sitter.pk
    assert data == {"conversation_id": str(conversation.pk), "message_id": offline["id"]}
