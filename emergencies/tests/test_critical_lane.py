"""The critical lane: with a backlog of bulk work on the default queue, an SOS still goes out at once.

Real Celery workers on the Redis broker, as the embedded default runs them
(guardiannest.embedded: one worker thread for ``default``, one of its own for
``critical``; production runs one process each, compose.yaml).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import _state as celery_state
from django.conf import settings as django_settings

from emergencies.models import EscalationStep, StepStatus
from emergencies.tests.factories import Family, raise_sos
from guardiannest import embedded
from guardiannest.celery import app
from guardiannest.registries import QUEUE_CRITICAL, QUEUE_DEFAULT
from messaging.models import Delivery
from messaging.tests.notifications_helpers import Broker, outbox_files

BACKLOG = 400
BULK_TASK_SECONDS = 0.05  # 400 x 50 ms: 20 s of bulk work for one worker


@app.task(name="tests.bulk_email")
def bulk_email(number: int) -> int:
    time.sleep(BULK_TASK_SECONDS)
    return number


def _backlog() -> int:
    return int(redis.Redis.from_url(django_settings.CELERY_BROKER_URL).llen(QUEUE_DEFAULT))


@pytest.mark.django_db(transaction=True)
def test_an_sos_is_sent_promptly_while_bulk_email_waits_on_the_default_queue(
    booked: Family, outbox_dir: Path, broker: Broker, settings: Any
) -> None:
    # given a backlog of bulk work on the default queue
    for number in range(BACKLOG):
        bulk_email.apply_async(args=(number,))
    assert _backlog() >= BACKLOG - 1
    assert app.amqp.router.route({}, "tests.bulk_email")["queue"].name == QUEUE_DEFAULT

    # and the workers running
    previous = celery_state.default_app
    jobs = embedded.start(app, queues=[QUEUE_DEFAULT], dedicated=[QUEUE_CRITICAL], schedule_file=None)
    try:
        # when a sitter raises an SOS (the first step's task goes to the critical queue on commit)
        started = time.monotonic()
        emergency = raise_sos(booked.sitter, booked.booking)

        # then the first fan-out is written and every SMS to the contacts reaches the provider's stand-in
        deadline = started + 15
        texted: list[str] = []
        while time.monotonic() < deadline:
            texted = sorted(message["to"] for message in outbox_files(outbox_dir, "sms"))
            if len(texted) == 3:
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        left = _backlog()
    finally:
        jobs.stop()
        celery_state.set_default_app(previous)

    print(f"critical lane: SOS raised to 3 contact SMS at the stand-in in {elapsed:.3f} s, {left} bulk tasks waiting")
    assert texted == ["+14155550101", "+14155550202", "+14155550303"]
    first = EscalationStep.objects.get(emergency=emergency, number=0)
    assert first.status == StepStatus.SENT
    assert elapsed < 5, f"the SOS took {elapsed:.2f} s"
    # the bulk work was still waiting: the SOS did not go through it
    assert left > BACKLOG / 2, f"only {left} bulk tasks were left"
    sms = Delivery.objects.filter(channel="sms", status=Delivery.Status.SENT, kind="emergency.raised")
    assert sms.count() == 3
