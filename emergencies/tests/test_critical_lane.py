"""The critical lane: with a backlog of bulk work on the default queue, an SOS still goes out at once.

Real Celery workers on the Redis broker, one process per queue as compose.yaml
runs them (``worker`` on ``default``, ``worker-critical`` on ``critical``),
started from the command line on the test database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from emergencies.models import EscalationStep, StepStatus
from emergencies.tests.factories import Family, raise_sos
from guardiannest.celery import app
from guardiannest.registries import QUEUE_CRITICAL, QUEUE_DEFAULT
from messaging.models import Delivery
from messaging.tests.notifications_helpers import Broker, outbox_files

BACKLOG = 400
BULK_TASK_SECONDS = 0.05  # 400 x 50 ms: 20 s of bulk work for the default worker


@app.task(name="tests.bulk_email")
def bulk_email(number: int) -> int:
    time.sleep(BULK_TASK_SECONDS)
    return number


def _backlog() -> int:
    return int(redis.Redis.from_url(django_settings.CELERY_BROKER_URL).llen(QUEUE_DEFAULT))


def _test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def workers(tmp_path: Path, broker: Broker) -> Iterator[Path]:
    """``celery worker`` for each queue, on this test's database; answers where their outbox is."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "guardiannest.settings_test",
        "DATABASE_URL": _test_database_url(),
        "VAR_DIR": str(tmp_path),
        "TWILIO_ACCOUNT_SID": "",
    }
    processes = []
    for queue in (QUEUE_DEFAULT, QUEUE_CRITICAL):
        argv = [sys.executable, "-m", "celery", "-A", "guardiannest", "worker", "-Q", queue, "-P", "solo"]
        argv += ["-n", f"{queue}@sos-test", "--without-mingle", "--without-gossip", "-l", "warning"]
        argv += ["--include", "emergencies.tests.test_critical_lane"]
        log = (tmp_path / f"worker-{queue}.log").open("wb")
        processes.append(
            subprocess.Popen(argv, cwd=django_settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answered = app.control.ping(destination=[f"{q}@sos-test" for q in (QUEUE_DEFAULT, QUEUE_CRITICAL)])
            if len(answered) == 2:
                break
        else:
            pytest.fail("the workers did not start within 60 s")
        yield tmp_path / "outbox"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)


@pytest.mark.django_db(transaction=True)
def test_an_sos_is_sent_promptly_while_bulk_email_waits_on_the_default_queue(
    booked: Family, workers: Path, settings: Any
) -> None:
    # given a backlog of bulk work on the default queue, which its worker is busy with
    assert app.amqp.router.route({}, "tests.bulk_email")["queue"].name == QUEUE_DEFAULT
    for number in range(BACKLOG):
        bulk_email.apply_async(args=(number,))
    deadline = time.monotonic() + 10
    while _backlog() > BACKLOG - 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _backlog() <= BACKLOG - 5, "the default worker took no bulk work"

    # when a sitter raises an SOS (the first step's task goes to the critical queue on commit)
    started = time.monotonic()
    emergency = raise_sos(booked.sitter, booked.booking)

    # then the first fan-out is written and every SMS to the contacts reaches the provider's stand-in
    deadline = started + 15
    texted: list[str] = []
    while time.monotonic() < deadline:
        texted = sorted(message["to"] for message in outbox_files(workers, "sms"))
        if len(texted) == 3:
            break
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    left = _backlog()

    print(f"critical lane: SOS raised to 3 contact SMS at the stand-in in {elapsed:.3f} s, {left} bulk tasks waiting")
    assert texted == ["+14155550101", "+14155550202", "+14155550303"]
    assert EscalationStep.objects.get(emergency=emergency, number=0).status == StepStatus.SENT
    assert Delivery.objects.filter(channel="sms", status=Delivery.Status.SENT, kind="emergency.raised").count() == 3
    assert elapsed < 5, f"the SOS took {elapsed:.2f} s"
    # the bulk work was still waiting: the SOS did not queue behind it
    assert left > BACKLOG / 2, f"only {left} bulk tasks were left"
