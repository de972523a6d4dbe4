"""The escalation ladder, climbed by moving the clock: the step task and the re-drive, never a patched service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.tests.factories import StaffFactory
from conftest import race
from emergencies.ladder import LADDER, rung_for
from emergencies.models import EscalationStep, StepStatus
from emergencies.services import (
    REDRIVE_GRACE,
    emergency_acknowledge,
    emergency_resolve,
    escalation_redrive,
    escalation_step_run,
)
from emergencies.tests.factories import Family, after, notifications_of, raise_sos, step
from messaging.models import Notification

pytestmark = pytest.mark.django_db


def _audiences(emergency: Any, number: int) -> list[str]:
    return [notice["audience"] for notice in step(emergency, number).notices]


def test_the_ladder_is_data_raise_then_family_again_then_on_call_staff_round_and_round() -> None:
    assert [rung_for(n).key for n in range(6)] == [
        "raised",
        "family_again",
        "on_call_staff",
        "family_again",
        "on_call_staff",
        "family_again",
    ]
    assert len(LADDER) == 2


def test_with_nobody_answering_the_redrive_climbs_the_ladder_one_interval_at_a_time(
    booked: Family, staff: User
) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)

    # Each re-drive runs at the moment the step before made this one due, plus the re-drive's grace (10 s).
    # at raise + grace: the first fan-out (its task was lost: the re-drive sends it)
    assert escalation_redrive(now=emergency.created_at + REDRIVE_GRACE) == 1
    assert _audiences(emergency, 0) == ["parties", "contacts", "contacts", "contacts"]
    # before the interval is up nothing more happens
    assert escalation_redrive(now=after(emergency, 1, extra=-1)) == 0
    assert step(emergency, 1).status == StepStatus.PENDING

    # one interval later: the family and contacts again, on every channel, as "still unanswered"
    assert escalation_redrive(now=after(emergency, 1, extra=20)) == 1
    assert _audiences(emergency, 1) == ["parties", "contacts", "contacts", "contacts"]
    assert {n.kind for n in notifications_of(emergency, 1)} == {"emergency.escalated"}

    # then the on-call staff
    assert escalation_redrive(now=after(emergency, 2, extra=30)) == 1
    assert _audiences(emergency, 2) == ["on_call_staff"]
    assert [n.user_id for n in notifications_of(emergency, 2)] == [staff.pk]

    # and round again
    assert escalation_redrive(now=after(emergency, 3, extra=40)) == 1
    assert step(emergency, 3).rung == "family_again"
    assert step(emergency, 4).status == StepStatus.PENDING


def test_on_call_means_the_staff_in_the_on_call_group_when_it_has_anyone(
    booked: Family, staff: User, settings: Any
) -> None:
    settings.EMERGENCY_ON_CALL_GROUP = "On call"
    on_call = StaffFactory(email="on.call@example.com")
    on_call.groups.add(Group.objects.create(name="On call"))
    emergency = raise_sos(booked.sitter, booked.booking)

    for number in range(3):
        escalation_step_run(step_id=step(emergency, number).pk, now=after(emergency, number))

    assert [n.user_id for n in notifications_of(emergency, 2)] == [on_call.pk]


def test_a_step_not_yet_due_is_left_alone(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    escalation_step_run(step_id=step(emergency, 0).pk)

    assert escalation_step_run(step_id=step(emergency, 1).pk, now=after(emergency, 1, extra=-10)) == "not_due"
    assert step(emergency, 1).status == StepStatus.PENDING and step(emergency, 1).notices == []


def test_a_step_run_again_sends_nothing_more(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    first = step(emergency, 0)

    assert escalation_step_run(step_id=first.pk) == StepStatus.SENT
    count = Notification.objects.count()
    assert escalation_step_run(step_id=first.pk) == StepStatus.SENT
    assert escalation_redrive(now=emergency.created_at + REDRIVE_GRACE) == 0

    assert Notification.objects.count() == count
    assert EscalationStep.objects.filter(emergency=emergency).count() == 2  # the step and the next one, once


@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_a_step_once(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    escalation_step_run(step_id=step(emergency, 0).pk)
    second = step(emergency, 1)
    when = after(emergency, 1)

    # when eight workers (the step task, its redeliveries, re-drives) run the same step at once
    results = race(8, lambda: escalation_step_run(step_id=second.pk, now=when))

    # then it is sent once, and the next rung is scheduled once
    assert sorted(map(str, results)) == ["sent"] * 8
    assert len(step(emergency, 1).notices) == 4
    assert Notification.objects.filter(kind="emergency.escalated").count() == 4
    assert EscalationStep.objects.filter(emergency=emergency).count() == 3


@pytest.mark.parametrize("answer", ["acknowledge", "resolve"])
def test_an_answer_stops_the_ladder(booked: Family, answer: str) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    escalation_step_run(step_id=step(emergency, 0).pk)

    # when the parent answers before the next rung
    if answer == "acknowledge":
        emergency_acknowledge(emergency_id=emergency.pk, actor=booked.parent)
    else:
        emergency_resolve(emergency_id=emergency.pk, actor=booked.parent, notes="All fine")
    sent = Notification.objects.count()

    # then the pending rung is cancelled, and no clock ever sends another
    assert step(emergency, 1).status == StepStatus.CANCELLED
    for escalations in (1, 2, 5):
        assert escalation_redrive(now=after(emergency, escalations)) == 0
    assert escalation_step_run(step_id=step(emergency, 1).pk, now=after(emergency, 1)) == StepStatus.CANCELLED
    assert Notification.objects.count() == sent
    assert EscalationStep.objects.filter(emergency=emergency).count() == 2


def test_the_ladder_stops_after_its_last_escalation(booked: Family, settings: Any) -> None:
    settings.EMERGENCY_ESCALATION_MAX_STEPS = 2
    emergency = raise_sos(booked.sitter, booked.booking)

    for escalations in range(6):
        # each re-drive at the moment the step before made the next one due, plus the grace
        escalation_redrive(now=after(emergency, escalations, extra=10 * (escalations + 1)))

    assert list(EscalationStep.objects.filter(emergency=emergency).values_list("number", "status")) == [
        (0, "sent"),
        (1, "sent"),
        (2, "sent"),
    ]


def test_the_redrive_leaves_a_just_due_step_to_its_own_task(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)

    assert escalation_redrive(now=emergency.created_at + REDRIVE_GRACE - timedelta(seconds=1)) == 0
    assert step(emergency, 0).status == StepStatus.PENDING
    assert escalation_redrive(now=emergency.created_at + REDRIVE_GRACE) == 1


def test_a_far_step_is_left_to_the_redrive_instead_of_a_broker_eta(
    booked: Family, settings: Any, broker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMERGENCY_ESCALATION_SECONDS = 3600
    emergency = raise_sos(booked.sitter, booked.booking)
    broker.purge()

    with django_capture_on_commit_callbacks(execute=True):
        escalation_step_run(step_id=step(emergency, 0).pk)

    assert [m["task"] for m in broker.messages("critical")].count("emergencies.escalation_step_run") == 0
    assert escalation_redrive(now=emergency.created_at + timedelta(seconds=3600 + 20)) == 1
