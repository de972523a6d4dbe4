"""A socket dies with its session: logout, revoke, password change or reset, deactivation, demotion."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User, UserSession
from accounts.services.auth import tokens_for
from accounts.services.passwords import password_reset_tokens
from accounts.services.verification import token_pack
from accounts.tests.factories import PASSWORD
from guardiannest.realtime.consumers import CloseCode
from guardiannest.realtime.tests.conftest import Communicator, ws_app
from guardiannest.realtime.tickets import SESSION_CLAIM

pytestmark = pytest.mark.django_db(transaction=True)


class SignedIn:
    """A user signed in on one device: its API client, its session, and sockets opened under that session."""

    def __init__(self, user: User) -> None:
        tokens = tokens_for(user)
        self.user, self.refresh = user, tokens["refresh"]
        self.api = APIClient()
        self.api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        self.session = UserSession.objects.filter(user=user).latest("created_at")

    def ticket(self) -> str:
        response = self.api.post("/api/v1/realtime/ticket")
        assert response.status_code == 201
        return str(response.json()["ticket"])


async def sign_in(user: User) -> SignedIn:
    return await sync_to_async(SignedIn)(user)


async def open_socket(device: SignedIn) -> WebsocketCommunicator:
    ticket = await sync_to_async(device.ticket)()
    socket = Communicator(ws_app(), f"/ws/v1?ticket={ticket}")
    connected, _ = await socket.connect()
    assert connected
    return socket


async def closed_within(socket: WebsocketCommunicator, seconds: float) -> int:
    """The close code the server sends within ``seconds`` (frames before it are skipped)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        output = await socket.receive_output(timeout=left)
        if output["type"] == "websocket.close":
            return int(output.get("code", 1000))
    raise AssertionError(f"still open after {seconds}s")


def test_the_realtime_session_claim_is_the_one_accounts_signs() -> None:
    from accounts.services.sessions import SESSION_CLAIM as ACCOUNTS_CLAIM

    assert SESSION_CLAIM == ACCOUNTS_CLAIM


async def test_revoking_a_session_closes_its_sockets_at_once_and_only_those(parent: User) -> None:
    phone, laptop = await sign_in(parent), await sign_in(parent)
    phone_socket, laptop_socket = await open_socket(phone), await open_socket(laptop)
    # when the laptop ends the phone's session from the security screen
    response = await sync_to_async(laptop.api.delete)(f"/api/v1/security/sessions/{phone.session.pk}")
    assert response.status_code == 204
    # then
    assert await closed_within(phone_socket, 1.0) == CloseCode.UNAUTHENTICATED
    await laptop_socket.send_json_to({"type": "ping"})
    assert await laptop_socket.receive_json_from(timeout=2) == {"type": "pong"}
    await laptop_socket.disconnect()


async def test_logging_out_closes_the_sockets_of_that_session(parent: User) -> None:
    device = await sign_in(parent)
    socket = await open_socket(device)
    response = await sync_to_async(device.api.post)("/api/v1/auth/logout", {"refresh": device.refresh}, format="json")
    assert response.status_code == 204
    assert await closed_within(socket, 1.0) == CloseCode.UNAUTHENTICATED


async def test_changing_the_password_closes_the_other_sessions_sockets(parent: User) -> None:
    here, elsewhere = await sign_in(parent), await sign_in(parent)
    here_socket, elsewhere_socket = await open_socket(here), await open_socket(elsewhere)
    body = {"old_password": PASSWORD, "new_password": "a-brand-new-passphrase-42"}
    response = await sync_to_async(here.api.post)("/api/v1/auth/password/change", body, format="json")
    assert response.status_code == 200
    assert await closed_within(elsewhere_socket, 1.0) == CloseCode.UNAUTHENTICATED
    await here_socket.send_json_to({"type": "ping"})
    assert await here_socket.receive_json_from(timeout=2) == {"type": "pong"}
    await here_socket.disconnect()


async def test_a_password_reset_closes_every_socket(parent: User) -> None:
    device = await sign_in(parent)
    socket = await open_socket(device)
    token = await sync_to_async(token_pack)(user=parent, generator=password_reset_tokens)
    body = {"token": token, "password": "a-brand-new-passphrase-42"}
    response = await sync_to_async(APIClient().post)("/api/v1/auth/password/reset/confirm", body, format="json")
    assert response.status_code == 200
    assert await closed_within(socket, 1.0) == CloseCode.UNAUTHENTICATED


async def test_deactivating_a_user_closes_every_socket(parent: User, staff: User) -> None:
    from accounts.services.gdpr import user_deactivate

    socket = await open_socket(await sign_in(parent))
    await sync_to_async(user_deactivate)(user=parent, actor=staff)
    assert await closed_within(socket, 1.0) == CloseCode.UNAUTHENTICATED


async def test_a_demoted_staff_member_loses_the_staff_socket_at_once(staff: User) -> None:
    socket = await open_socket(await sign_in(staff))
    # when the admin unticks is_staff (the admin's form saves the user)
    staff.is_staff = False
    await sync_to_async(staff.save)()
    # then the socket closes: a new one would no longer join the staff group
    assert await closed_within(socket, 1.0) == CloseCode.ACCESS_CHANGED


async def test_a_ticket_of_an_ended_session_opens_nothing(parent: User) -> None:
    device = await sign_in(parent)
    ticket = await sync_to_async(device.ticket)()
    await sync_to_async(UserSession.objects.filter(pk=device.session.pk).update)(ended_at=timezone.now())
    connected, code = await Communicator(ws_app(), f"/ws/v1?ticket={ticket}").connect()
    assert not connected and code == CloseCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "change",
    [
        {"session": {"ended_at": "now"}},
        {"user": {"is_active": False}},
    ],
    ids=["session-ended-behind-our-back", "user-deactivated-behind-our-back"],
)
async def test_the_periodic_recheck_catches_what_no_close_message_announced(
    parent: User, settings: Any, change: dict[str, Any]
) -> None:
    settings.REALTIME_SESSION_RECHECK = 0.4
    device = await sign_in(parent)
    socket = await open_socket(device)
    # when the rows change without any service (a queryset update sends no close)
    if "session" in change:
        await sync_to_async(UserSession.objects.filter(pk=device.session.pk).update)(ended_at=timezone.now())
    else:
        await sync_to_async(User.objects.filter(pk=parent.pk).update)(is_active=False)
    # then the socket's next re-check closes it
    assert await closed_within(socket, 2.0) == CloseCode.UNAUTHENTICATED


async def test_a_live_session_survives_its_rechecks(parent: User, settings: Any) -> None:
    settings.REALTIME_SESSION_RECHECK = 0.2
    socket = await open_socket(await sign_in(parent))
    await asyncio.sleep(1.0)
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=2) == {"type": "pong"}
    await socket.disconnect()
