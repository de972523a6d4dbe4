"""Acknowledge and resolve: who may, what a repeat does, and the timeline they leave with the deliveries."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import EmergencyContact, User
from emergencies.models import EmergencyResponse, EmergencyStatus
from emergencies.selectors import emergency_timeline
from emergencies.services import emergencies_export, emergency_acknowledge, emergency_resolve, escalation_step_run
from emergencies.tests.factories import Family, deliveries_of, raise_sos, step
from guardiannest.errors import ApplicationError
from guardiannest.registries import gdpr_exporters
from messaging.models import Delivery, Device
from messaging.services.delivery import delivery_send
from messaging.tests.notifications_helpers import verify_phone
from messaging.tests.stand_ins import INVALID_NUMBER, GoogleStandIn, TwilioStandIn

pytestmark = pytest.mark.django_db


def test_acknowledging_is_recorded_once_per_person_and_by_staff_too(booked: Family, staff: User) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)

    first = emergency_acknowledge(emergency_id=emergency.pk, actor=booked.parent)
    emergency_acknowledge(emergency_id=emergency.pk, actor=booked.parent)
    emergency_acknowledge(emergency_id=emergency.pk, actor=staff)

    first.refresh_from_db()
    assert first.status == EmergencyStatus.ACKNOWLEDGED
    assert first.acknowledged_by_id == booked.parent.pk  # the first one stays
    assert list(EmergencyResponse.objects.values_list("actor_id", "actor_role")) == [
        (booked.parent.pk, "parent"),
        (staff.pk, "staff"),
    ]


def test_nobody_else_may_acknowledge_or_resolve(booked: Family, other_parent: User, other_sitter: User) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)

    for stranger in (other_parent, other_sitter):
        with pytest.raises(ApplicationError) as refused:
            emergency_acknowledge(emergency_id=emergency.pk, actor=stranger)
        assert refused.value.code == "not_found"
        with pytest.raises(ApplicationError) as refused:
            emergency_resolve(emergency_id=emergency.pk, actor=stranger, notes="x")
        assert refused.value.code == "not_found"

    emergency.refresh_from_db()
    assert emergency.status == EmergencyStatus.ACTIVE and not EmergencyResponse.objects.exists()


def test_resolving_twice_changes_nothing_and_an_acknowledgement_after_it_neither(booked: Family, staff: User) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)

    emergency_resolve(emergency_id=emergency.pk, actor=booked.sitter, notes="Ambulance took over")
    again = emergency_resolve(emergency_id=emergency.pk, actor=staff, notes="other notes")
    emergency_acknowledge(emergency_id=emergency.pk, actor=booked.parent)

    again.refresh_from_db()
    assert again.status == EmergencyStatus.RESOLVED
    assert again.resolution_notes == "Ambulance took over" and again.resolved_by_id == booked.sitter.pk
    assert list(EmergencyResponse.objects.values_list("action", flat=True)) == ["resolved"]


def test_the_timeline_shows_every_delivery_with_its_provider_status_every_answer_and_every_step(
    booked: Family, staff: User, twilio: TwilioStandIn, fcm: GoogleStandIn, outbox_dir: Any
) -> None:
    # given the parent's verified phone and app, and a second contact whose number Twilio refuses
    verify_phone(booked.parent, "+14155550100")
    Device.objects.create(user=booked.parent, token="parent-phone-" + "a" * 40, platform="android")
    second = EmergencyContact.objects.get(parent=booked.parent, priority=2)
    second.phone = INVALID_NUMBER
    second.save()
    emergency = raise_sos(booked.sitter, booked.booking)
    escalation_step_run(step_id=step(emergency, 0).pk)
    for delivery in deliveries_of(emergency, 0):
        delivery_send(delivery_id=delivery.pk)

    # when the parent, then staff acknowledge, and the sitter resolves
    emergency_acknowledge(emergency_id=emergency.pk, actor=booked.parent)
    emergency_acknowledge(emergency_id=emergency.pk, actor=staff)
    emergency_resolve(emergency_id=emergency.pk, actor=booked.sitter, notes="All safe")
    timeline = emergency_timeline(emergency=emergency)

    # then
    kinds = [entry["type"] for entry in timeline]
    assert kinds[0] == "raised" and kinds[1] == "escalation"
    assert kinds[-3:] == ["acknowledged", "acknowledged", "resolved"]
    assert [e["actor_role"] for e in timeline[-3:]] == ["parent", "staff", "sitter"]
    steps = [(e["step"], e["status"]) for e in timeline if e["type"] == "escalation"]
    assert steps == [(0, "sent"), (1, "cancelled")]
    deliveries = [e for e in timeline if e["type"] == "delivery"]
    assert len(deliveries) == len(deliveries_of(emergency, 0)) == 6  # parent: email, sms, push; 3 contacts: sms
    parent_rows = {e["channel"]: e for e in deliveries if e["audience"] == "parties"}
    assert parent_rows["sms"]["provider"] == "twilio" and parent_rows["sms"]["status"] == "sent"
    assert parent_rows["push"]["provider"] == "fcm" and parent_rows["push"]["status"] == "sent"
    assert parent_rows["email"]["status"] == "sent" and parent_rows["sms"]["recipient_id"] == str(booked.parent.pk)
    contacts = {e["contact_priority"]: e for e in deliveries if e["audience"] == "contacts"}
    assert contacts[1]["status"] == "sent" and contacts[1]["provider"] == "twilio"
    assert contacts[2]["status"] == Delivery.Status.FAILED and contacts[2]["error"].startswith("permanent")
    assert contacts[3]["status"] == "sent"
    # Twilio was asked to text each number given (it refused the invalid one), and the push woke the parent's phone
    assert sorted(m.form()["To"][0] for m in twilio.messages) == sorted(
        ["+14155550100", "+14155550101", INVALID_NUMBER, "+14155550303"]
    )
    [push] = fcm.sends
    assert push.json()["message"]["android"]["priority"] == "high"
    assert push.json()["message"]["data"]["emergency_id"] == str(emergency.pk)


def test_the_gdpr_export_holds_the_alerts_raised_and_the_answers_given(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking, message="Help")
    emergency_acknowledge(emergency_id=emergency.pk, actor=booked.parent)

    assert gdpr_exporters.get("emergencies") is emergencies_export
    raised = emergencies_export(booked.sitter)["raised"]
    assert [(e["id"], e["message"], e["latitude"]) for e in raised] == [(str(emergency.pk), "Help", "52.520008")]
    assert emergencies_export(booked.parent) == {
        "raised": [],
        "responses": [
            {"emergency_id": str(emergency.pk), "action": "acknowledged", "at": emergency_export_time(booked)}
        ],
    }


def emergency_export_time(booked: Family) -> str:
    return EmergencyResponse.objects.get(actor=booked.parent).created_at.isoformat()
