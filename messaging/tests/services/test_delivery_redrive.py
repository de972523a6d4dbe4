"""The re-drive job: lost tasks are enqueued again, stuck rows recovered; nothing lost, nothing sent twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from guardiannest.celery import app
from messaging.models import Delivery
from messaging.services.delivery import LANE_DEFAULT, delivery_send, lane, lost_after
from messaging.services.notifications import notify
from messaging.tasks import deliver, redrive_deliveries
from messaging.tests.notifications_helpers import Broker

pytestmark = pytest.mark.django_db

BOOKING = {"booking_id": "b-1", "other_name": "Sam Sitter", "starts_at": "Friday 18:00"}
REDRIVE_GRACE = lane(LANE_DEFAULT).grace
MAX_ATTEMPTS = lane(LANE_DEFAULT).max_attempts


def _email(user: User) -> Delivery:
    return notify(user=user, kind="booking.accepted", context=BOOKING).deliveries.get(channel="email")


def _age(delivery: Delivery, **values: Any) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(**values)


def test_a_lost_task_is_redriven_and_sent_once(
    parent: User, broker: Broker, django_capture_on_commit_callbacks: Any
) -> None:
    # given: the task published after commit never arrived (broker restart), 3 minutes ago
    delivery = _email(parent)
    _age(delivery, next_attempt_at=timezone.now() - REDRIVE_GRACE - timedelta(minutes=1))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        assert redrive_deliveries.apply().get() == 1

    # then: the task is on the broker again, and running it sends the email
    assert broker.messages("default") == [{"task": "messaging.deliver", "args": [str(delivery.pk)], "eta": None}]
    assert deliver.apply(args=[str(delivery.pk)]).get() == "sent"
    assert len(mail.outbox) == 1
    # the next run finds nothing to do
    with django_capture_on_commit_callbacks(execute=True):
        assert redrive_deliveries.apply().get() == 0


def test_a_row_waiting_in_a_long_queue_is_not_enqueued_every_minute(
    parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    delivery = _email(parent)
    _age(delivery, next_attempt_at=timezone.now() - REDRIVE_GRACE - timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=False):
        first = redrive_deliveries.apply().get()
        second = redrive_deliveries.apply().get()

    assert (first, second) == (1, 0)
    delivery.refresh_from_db()
    assert delivery.status == "queued"


def test_a_fresh_row_is_left_to_its_own_task(parent: User, django_capture_on_commit_callbacks: Any) -> None:
    _email(parent)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert redrive_deliveries.apply().get() == 0

    assert callbacks == []


def test_a_row_stuck_in_sending_after_its_worker_died_is_sent(
    parent: User, broker: Broker, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a worker claimed the row and was killed before it recorded anything
    delivery = _email(parent)
    _age(delivery, status="sending", attempts=1, claimed_at=timezone.now() - lost_after() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert redrive_deliveries.apply().get() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.claimed_at, delivery.last_error) == ("queued", None, "worker lost mid-send")
    [message] = broker.messages("default")
    assert message["args"] == [str(delivery.pk)]
    assert deliver.apply(args=message["args"]).get() == "sent"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_a_row_sending_right_now_is_not_touched(parent: User, django_capture_on_commit_callbacks: Any) -> None:
    delivery = _email(parent)
    _age(delivery, status="sending", attempts=1, claimed_at=timezone.now() - timedelta(seconds=30))

    with django_capture_on_commit_callbacks(execute=False):
        assert redrive_deliveries.apply().get() == 0

    delivery.refresh_from_db()
    assert delivery.status == "sending"


def test_a_row_lost_on_its_last_attempt_fails(parent: User, django_capture_on_commit_callbacks: Any) -> None:
    delivery = _email(parent)
    _age(delivery, status="sending", attempts=MAX_ATTEMPTS, claimed_at=timezone.now() - lost_after() * 2)

    with django_capture_on_commit_callbacks(execute=False):
        assert redrive_deliveries.apply().get() == 0

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("failed", "gave up: worker lost")


def test_the_redriven_task_and_the_original_one_send_once(parent: User) -> None:
    # given: the original task was only late, and the re-drive enqueued it again
    delivery = _email(parent)
    _age(delivery, next_attempt_at=timezone.now() - REDRIVE_GRACE - timedelta(minutes=1))

    # when: both run
    results = [delivery_send(delivery_id=delivery.pk), deliver.apply(args=[str(delivery.pk)]).get()]

    assert results == ["sent", "sent"]
    assert len(mail.outbox) == 1


def test_a_retry_that_waits_an_hour_is_picked_up_when_due(
    parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    delivery = _email(parent)
    due = timezone.now() - REDRIVE_GRACE - timedelta(seconds=5)
    _age(delivery, attempts=5, next_attempt_at=due, last_error="temporary: SMTP 451")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert redrive_deliveries.apply().get() == 1

    assert len(callbacks) == 1
    assert deliver.apply(args=[str(delivery.pk)]).get() == "sent"


def test_the_job_is_scheduled_and_emergencies_are_routed_to_the_critical_queue() -> None:
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}

    assert schedule["messaging.redrive_deliveries"] == 60.0
    assert schedule["messaging.redrive_critical_deliveries"] == 10.0
    assert {
        "messaging.deliver",
        "messaging.deliver_critical",
        "messaging.redrive_deliveries",
        "messaging.redrive_critical_deliveries",
    } <= set(app.tasks)
    assert app.amqp.router.route({}, "messaging.deliver_critical")["queue"].name == "critical"
    assert app.amqp.router.route({}, "messaging.redrive_critical_deliveries")["queue"].name == "critical"
    assert app.amqp.router.route({}, "messaging.deliver")["queue"].name == "default"
    # a lost row can only be recognised after the hard time limit has killed its worker
    assert lost_after().total_seconds() > app.conf.task_time_limit
