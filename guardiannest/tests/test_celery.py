"""Celery behaves as in production: JSON, late acks, bounded time, work after commit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from celery.contrib.testing.worker import start_worker
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.apps import apps as django_apps
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User
from accounts.services.auth import tokens_for
from accounts.tasks.tokens import flush_expired_tokens
from guardiannest import embedded
from guardiannest.api.models import IdempotencyRecord
from guardiannest.api.tasks import idempotency_purge_expired
from guardiannest.celery import app
from guardiannest.realtime.events import broadcast
from guardiannest.realtime.groups import user_group
from guardiannest.realtime.middleware import origin_and_ticket
from guardiannest.realtime.routing import websocket_urlpatterns
from guardiannest.realtime.tickets import ticket_issue
from guardiannest.registries import beat_entries


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
    assert conf.broker_url.startswith("redis://")


def _queue(task_name: str) -> str:
    """The queue Celery sends ``task_name`` to, asked of the app's router as ``apply_async`` asks it."""
    return app.amqp.router.route({}, task_name)["queue"].name


def test_each_app_routes_its_own_tasks_and_the_rest_go_to_default() -> None:
    assert _queue("emergencies.sos_escalate") == "critical"  # a glob registered before the app has tasks
    assert _queue("messaging.deliver_critical") == "critical"
    assert _queue("messaging.deliver") == "default"
    assert _queue("accounts.flush_expired_tokens") == "default"


def test_the_beat_schedule_holds_every_apps_entries_and_only_tasks_that_exist() -> None:
    scheduled = {name: entry["task"] for name, entry in app.conf.beat_schedule.items()}

    assert scheduled == {name: entry["task"] for name, entry in beat_entries.items()}
    assert {
        "accounts.flush_expired_tokens",
        "accounts.data_export_purge_expired",
        "api.idempotency_purge_expired",
        "files.file_purge_detached",
        "files.file_orphans_purge",
        "files.file_pending_retry",
        "messaging.redrive_deliveries",
        "sitters.availability_extend",
        "sitters.verification_checks_redrive",
        "sitters.certification_reminders_send",
    } <= set(scheduled.values())
    assert set(scheduled.values()) <= set(app.tasks)


def test_the_embedded_beat_reads_the_entries_registered_when_it_starts(tmp_path: Path) -> None:
    """The embedded default's beat thread (the Service ``celery beat`` runs), started for real on the app."""
    # given an entry registered after the app was configured
    assert app.conf.task_serializer == "json"
    beat_entries.register("tests-registered-late", {"task": "tests.broadcast_to_user", "schedule": 3600.0})
    try:
        # when beat starts
        beat = embedded.beat_start(app, schedule_file=tmp_path / "celerybeat-schedule")
        try:
            deadline = time.monotonic() + 10
            while beat.service.effective_max_interval is None and time.monotonic() < deadline:
                time.sleep(0.05)  # set once the scheduler has been built from the schedule
            entries = {name: entry.task for name, entry in beat.service.scheduler.schedule.items()}
        finally:
            beat.stop()
        expected = {name: entry["task"] for name, entry in beat_entries.items()}
    finally:
        beat_entries.unregister("tests-registered-late")

    # then it schedules every app's entries, the late one too
    assert entries.items() >= expected.items()
    assert entries["tests-registered-late"] == "tests.broadcast_to_user"


@pytest.mark.slow
def test_celery_beat_started_from_the_command_line_schedules_every_registered_entry(tmp_path: Path) -> None:
    """``celery beat`` configures the app before Django loads the apps: the schedule must still be complete."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "guardiannest.settings_test"}
    schedule_file = str(tmp_path / "schedule")
    argv = [sys.executable, "-m", "celery", "-A", "guardiannest", "beat", "-s", schedule_file, "-l", "debug"]
    beat = subprocess.Popen(argv, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    give_up = threading.Timer(60, beat.kill)  # a beat that never logs its schedule ends the read below
    give_up.start()
    try:
        assert beat.stdout is not None
        lines = iter(beat.stdout.readline, b"")
        schedule = next((line.decode() for line in lines if b"Current schedule" in line), "")
    finally:
        give_up.cancel()
        beat.terminate()
        beat.wait(timeout=30)

    for name, entry in beat_entries.items():
        assert f"<ScheduleEntry: {name} {entry['task']}(" in schedule


def test_the_core_names_no_app() -> None:
    """Apps register their entries, routes and kinds: the core modules that read them know none of them."""
    root = Path(settings.BASE_DIR)
    apps = [
        config.label
        for config in django_apps.get_app_configs()
        if Path(config.path).parent == root and config.label != "guardiannest"
    ]
    assert {"accounts", "emergencies", "messaging"} <= set(apps)
    named = re.compile(rf"\b({'|'.join(apps)})\b")
    for module in ("celery.py", "embedded.py", "registries.py"):
        source = (root / "guardiannest" / module).read_text()
        assert not named.findall(source), f"guardiannest/{module} names an app"


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
