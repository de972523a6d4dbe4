"""Chat fixtures: a parent-sitter conversation, clients, and sockets opened with real tickets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from accounts.models import User
from guardiannest.realtime.middleware import origin_and_ticket
from guardiannest.realtime.routing import websocket_urlpatterns
from guardiannest.realtime.tickets import ticket_issue
from messaging.models import Conversation
from messaging.services.conversations import conversation_start


@pytest.fixture
def conversation(parent: User, sitter: User) -> Conversation:
    started, _ = conversation_start(actor=parent, participant_id=sitter.pk)
    return started


def messages_url(conversation: Conversation) -> str:
    return f"/api/v1/conversations/{conversation.pk}/messages"


def read_url(conversation: Conversation) -> str:
    return f"/api/v1/conversations/{conversation.pk}/read"


def send(client: APIClient, conversation: Conversation, body: str, **extra: Any) -> Any:
    return client.post(messages_url(conversation), {"body": body, **extra}, format="json")


@pytest.fixture
def socket_for() -> Callable[[User], WebsocketCommunicator]:
    """A websocket of ``user`` on /ws/v1, authenticated the way apps do it: a single-use ticket."""

    def make(user: User) -> WebsocketCommunicator:
        ticket = ticket_issue(user_id=user.pk)
        return WebsocketCommunicator(origin_and_ticket(URLRouter(websocket_urlpatterns)), f"/ws/v1?ticket={ticket}")

    return make
