"""The embedded default: no Redis, yet delayed and periodic tasks run and reach sockets."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from celery import Celery
from celery import _state as celery_state
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from accounts.models import User
from guardiannest import embedded
from guardiannest.realtime.events import broadcast
from guardiannest.realtime.groups import user_group
from guardiannest.realtime.middleware import origin_and_ticket
from guardiannest.realtime.routing import websocket_urlpatterns
from guardiannest.realtime.tickets import ticket_issue

embedded_app = Celery("embedded-test", broker="memory://", set_as_current=False)
embedded_app.conf.update(task_default_queue="default", task_serializer="json", accept_content=["json"])


@embedded_app.task(name="tests.embedded_broadcast")
def embedded_broadcast(user_id: str, marker: str) -> None:
    broadcast([user_group(user_id)], "notification.created", {"marker": marker})


@pytest.mark.django_db(transaction=True)
async def test_delayed_and_periodic_tasks_reach_a_socket_in_process(parent: User, settings, tmp_path: Path) -> None:
    # given the embedded default's channel layer and an open socket
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "guardiannest.realtime.layers.EmbeddedChannelLayer"}}
    ticket = await sync_to_async(ticket_issue)(user_id=parent.pk)
    socket = WebsocketCommunicator(origin_and_ticket(URLRouter(websocket_urlpatterns)), f"/ws/v1?ticket={ticket}")
    assert (await socket.connect())[0]
    embedded_app.conf.beat_schedule = {
        "tick": {"task": "tests.embedded_broadcast", "schedule": 1.0, "args": [str(parent.pk), "from-beat"]}
    }
    previous_default = celery_state.default_app
    jobs = await sync_to_async(embedded.start)(
        embedded_app, queues=["default"], schedule_file=tmp_path / "beat-schedule"
    )
    try:
        # when a task is sent with a delay from another thread
        await sync_to_async(embedded_broadcast.apply_async)(args=[str(parent.pk), "delayed"], countdown=1)
        # then both the delayed task and beat's periodic task arrive
        seen = set()
        for _ in range(6):
            seen.add((await socket.receive_json_from(timeout=10))["data"]["marker"])
            if {"delayed", "from-beat"} <= seen:
                break
        assert {"delayed", "from-beat"} <= seen
    finally:
        await sync_to_async(jobs.stop)()
        await socket.disconnect()
        celery_state.set_default_app(previous_default)


lane_app = Celery("embedded-lanes-test", broker="memory://", set_as_current=False)
lane_app.conf.update(
    task_default_queue="default",
    task_serializer="json",
    accept_content=["json"],
    task_routes={"tests.lane_urgent": {"queue": "critical"}},
)
_release_bulk = threading.Event()
_urgent_ran = threading.Event()


@lane_app.task(name="tests.lane_bulk")
def lane_bulk() -> None:
    _release_bulk.wait(20)  # a long batch job holding the default worker


@lane_app.task(name="tests.lane_urgent")
def lane_urgent() -> None:
    _urgent_ran.set()


def test_a_dedicated_queue_has_a_worker_thread_of_its_own(tmp_path: Path) -> None:
    """``manage.py serve`` gives the critical queue its own worker: a task there never waits behind the default one."""
    previous_default = celery_state.default_app
    jobs = embedded.start(lane_app, queues=["default"], dedicated=["critical"], schedule_file=None)
    try:
        # given the default worker busy with a long job, and more waiting behind it
        for _ in range(3):
            lane_bulk.apply_async()
        time.sleep(0.5)
        # when an urgent task is sent to the dedicated queue
        lane_urgent.apply_async()
        # then it runs while the default worker is still busy
        assert _urgent_ran.wait(10)
        assert not _release_bulk.is_set()
        assert [worker.hostname for worker, _ in jobs.workers] == [
            "embedded@localhost",
            "embedded-critical@localhost",
        ]
    finally:
        _release_bulk.set()
        jobs.stop()
        celery_state.set_default_app(previous_default)
