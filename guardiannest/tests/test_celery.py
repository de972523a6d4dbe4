"""Celery behaves as in production: JSON, late acks, bounded time, work after commit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from celery.contrib.testing.worker import start_worker
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User
from accounts.services.auth import tokens_for
from accounts.tasks.tokens import flush_expired_tokens
from guardiannest.api.models import IdempotencyRecord
from guardiannest.api.tasks import idempotency_purge_expired
from guardiannest.celery import app
from guardiannest.realtime.events import broadcast
from guardiannest.realtime.groups import user_group
from guardiannest.realtime.middleware import origin_and_ticket
from guardiannest.realtime.routing import websocket_urlpatterns
from guardiannest.realtime.tickets import ticket_issue


@app.task(name="tests.broadcast_to_user")
def broadcast_to_user(user_id: str, marker: str) -> None:
    broadcast([user_group(user_id)], "notification.created", {"marker": marker})


def test_configuration_matches_production_rules() -> None:
    conf = app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit < conf.broker_transport_options["visibility_timeout"]
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_routes["emergencies.*"] == {"queue": "critical"}
    assert conf.broker_url.startswith("redis://")
    scheduled = {entry["task"] for entry in conf.beat_schedule.values()}
    assert {"accounts.flush_expired_tokens", "api.idempotency_purge_expired"} <= scheduled
    assert set(scheduled) <= set(app.tasks)


@pytest.mark.django_db
def test_flush_expired_tokens_drops_only_expired_ones(parent: User) -> None:
    tokens_for(parent)
    expired = OutstandingToken.objects.create(
        user=parent,
        jti="old",
        token="x",
        created_at=timezone.now() - timedelta(days=30),
        expires_at=timezone.now() - timedelta(days=1),
    )
    flush_expired_tokens.apply()
    assert not OutstandingToken.objects.filter(pk=expired.pk).exists()
    assert OutstandingToken.objects.filter(user=parent).count() == 1


@pytest.mark.django_db
def test_purge_task_runs_the_service(parent: User) -> None:
    record = IdempotencyRecord.objects.create(user=parent, key="k", method="POST", path="/", fingerprint="f")
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert idempotency_purge_expired.apply().get() == 1


@pytest.fixture
def worker() -> Iterator[None]:
    """A real worker thread consuming the Redis broker, as production's worker does."""
    with start_worker(app, perform_ping_check=False, pool="solo", queues=["default"], shutdown_timeout=30):
        yield


@pytest.mark.django_db(transaction=True)
async def test_an_event_a_task_broadcasts_reaches_the_socket(worker, parent: User) -> None:
    # given an open socket
    ticket = await sync_to_async(ticket_issue)(user_id=parent.pk)
    socket = WebsocketCommunicator(origin_and_ticket(URLRouter(websocket_urlpatterns)), f"/ws/v1?ticket={ticket}")
    assert (await socket.connect())[0]
    # when a delayed task broadcasts through the broker and a worker
    await sync_to_async(broadcast_to_user.apply_async)(args=[str(parent.pk), "from-worker"], countdown=1)
    # then
    envelope = await socket.receive_json_from(timeout=15)
    assert envelope["type"] == "notification.created" and envelope["data"] == {"marker": "from-worker"}
    await socket.disconnect()
    assert settings.CELERY_EMBEDDED is False
