"""sos_raise: the alert is committed first, then its first fan-out; repeats from one device are one alert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import EmergencyContactFactory
from conftest import race
from emergencies.models import Emergency, EmergencyStatus, EscalationStep, StepStatus
from emergencies.services import escalation_step_run, sos_raise
from emergencies.tests.factories import Family, deliveries_of, notifications_of, raise_sos, step
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError
from messaging.models import Delivery
from messaging.tests.notifications_helpers import Broker, verify_phone

pytestmark = pytest.mark.django_db


def test_a_sitter_raises_during_a_booking_and_the_alert_and_its_first_step_are_committed(
    booked: Family, broker: Broker, django_capture_on_commit_callbacks: Any
) -> None:
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        emergency = raise_sos(booked.sitter, booked.booking, message="Child fell, calling 112")

    # then the alert, for the booking's family, with its first step due now
    emergency.refresh_from_db()
    assert emergency.status == EmergencyStatus.ACTIVE
    assert emergency.booking_id == booked.booking.pk and emergency.family_id == booked.parent.pk
    assert str(emergency.latitude) == "52.520008" and emergency.message == "Child fell, calling 112"
    first = step(emergency, 0)
    assert first.status == StepStatus.PENDING and first.rung == "raised" and first.due_at == emergency.created_at
    assert AuditEvent.objects.filter(action="emergency.raised", target_id=str(emergency.pk)).exists()
    # and after commit: the socket broadcast and the first step's task, on the critical queue
    assert len(callbacks) == 2
    [task] = broker.messages("critical")
    assert task["task"] == "emergencies.escalation_step_run" and task["args"] == [first.pk]
    assert broker.messages("default") == []


def test_the_first_step_tells_the_parent_then_the_contacts_in_priority_order_on_every_channel(
    booked: Family, broker: Broker, django_capture_on_commit_callbacks: Any
) -> None:
    verify_phone(booked.parent, "+14155550100")
    emergency = raise_sos(booked.sitter, booked.booking)

    # when the first step runs
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation_step_run(step_id=step(emergency, 0).pk) == StepStatus.SENT

    # then one notification per person: the parent (not the sitter who raised it), then contacts 1, 2, 3
    notices = step(emergency, 0).notices
    assert [(n["audience"], n.get("contact_priority")) for n in notices] == [
        ("parties", None),
        ("contacts", 1),
        ("contacts", 2),
        ("contacts", 3),
    ]
    parent_note, *contact_notes = notifications_of(emergency, 0)
    assert parent_note.user_id == booked.parent.pk and parent_note.kind == "emergency.raised"
    assert [n.recipient_name for n in contact_notes] == ["First Contact", "Second Contact", "Third Contact"]
    assert all(n.user_id is None and n.on_behalf_of_id == booked.parent.pk for n in contact_notes)
    # the parent on email, SMS and push (no device: recorded as skipped); each contact by SMS at their number
    rows = deliveries_of(emergency, 0)
    by_parent = {d.channel: d for d in rows if d.notification_id == parent_note.pk}
    assert by_parent["email"].status == by_parent["sms"].status == Delivery.Status.QUEUED
    assert by_parent["sms"].address == "+14155550100"
    assert by_parent["push"].status == Delivery.Status.SKIPPED
    contact_sms = sorted((d.address, d.channel) for d in rows if d.notification_id != parent_note.pk)
    assert contact_sms == [("+14155550101", "sms"), ("+14155550202", "sms"), ("+14155550303", "sms")]
    # the SMS and email go out from the critical queue
    sent = broker.messages("critical")
    queued = {str(d.pk) for d in rows if d.status == Delivery.Status.QUEUED}
    assert {m["args"][0] for m in sent if m["task"] == "messaging.deliver_critical"} == queued
    assert broker.messages("default") == []
    # and the next rung is due one interval later
    second = step(emergency, 1)
    assert second.status == StepStatus.PENDING and second.rung == "family_again"
    assert second.due_at > timezone.now() + timedelta(seconds=50)


def test_a_parent_raising_outside_a_booking_reaches_their_contacts_and_not_themselves(parent: User) -> None:
    EmergencyContactFactory(parent=parent, priority=1, phone="+14155550101")

    emergency = raise_sos(parent)
    escalation_step_run(step_id=step(emergency, 0).pk)

    assert emergency.booking_id is None and emergency.family_id == parent.pk
    assert [n["audience"] for n in step(emergency, 0).notices] == ["contacts"]


def test_a_sitter_outside_any_booking_pages_the_on_call_staff_at_once(sitter: User, staff: User) -> None:
    emergency = raise_sos(sitter)
    escalation_step_run(step_id=step(emergency, 0).pk)

    assert emergency.family_id is None
    [notice] = step(emergency, 0).notices
    assert notice == {
        "notification_id": notice["notification_id"],
        "audience": "on_call_staff",
        "user_id": str(staff.pk),
    }


def test_a_repeat_from_the_same_device_within_the_window_is_the_same_alert(booked: Family, settings: Any) -> None:
    settings.EMERGENCY_DEDUPE_SECONDS = 120
    first = raise_sos(booked.sitter, booked.booking, device="phone-a")

    again, created = sos_raise(
        actor=booked.sitter, booking_id=booked.booking.pk, latitude=1, longitude=2, device="phone-a"
    )
    other_device, other_created = sos_raise(actor=booked.sitter, latitude=1, longitude=2, device="phone-b")
    later, later_created = sos_raise(
        actor=booked.sitter, latitude=1, longitude=2, device="phone-a", now=first.created_at + timedelta(seconds=121)
    )

    assert again.pk == first.pk and created is False
    assert other_created and other_device.pk != first.pk
    assert later_created and later.pk != first.pk
    assert EscalationStep.objects.filter(emergency=first).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_raises_from_one_device_make_one_alert(booked: Family) -> None:
    results = race(
        6,
        lambda: sos_raise(
            actor=booked.sitter, booking_id=booked.booking.pk, latitude=52.5, longitude=13.4, device="phone-a"
        ),
    )

    assert not [r for r in results if isinstance(r, BaseException)]
    assert len({r[0].pk for r in results if not isinstance(r, BaseException)}) == 1
    assert sum(1 for r in results if not isinstance(r, BaseException) and r[1]) == 1
    assert Emergency.objects.count() == 1 and EscalationStep.objects.count() == 1


def test_a_stranger_cannot_raise_on_someone_elses_booking(booked: Family, other_parent: User) -> None:
    with pytest.raises(ApplicationError) as refused:
        raise_sos(other_parent, booked.booking)

    assert refused.value.code == "not_found"
    assert not Emergency.objects.exists()


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [(90.5, 0, "latitude"), (-91, 0, "latitude"), (0, 180.01, "longitude"), ("north", 0, "latitude")],
)
def test_coordinates_out_of_range_are_refused_naming_the_field(
    parent: User, latitude: Any, longitude: Any, field: str
) -> None:
    with pytest.raises(ApplicationError) as refused:
        sos_raise(actor=parent, latitude=latitude, longitude=longitude, device="d")

    assert refused.value.refusal == "invalid" and list(refused.value.errors or {}) == [field]
    assert not Emergency.objects.exists()


def test_staff_answer_alerts_and_do_not_raise_them(staff: User) -> None:
    with pytest.raises(ApplicationError) as refused:
        raise_sos(staff)

    assert refused.value.code == "not_a_party" and refused.value.refusal == "forbidden"
    assert not Emergency.objects.exists()
