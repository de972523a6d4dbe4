"""A booking's safety timers as emergency alerts: one per booking and kind, on the SOS ladder, closed by the booking.

Bookings' beat job and the sitter's report open them through the registry
bookings expose (filled in by emergencies' ready()); the clock is moved, the
ladder climbed by the re-drive, nothing of ours patched.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, SafetyAlert
from bookings.services import booking_check_in, booking_check_out
from bookings.tests.factories import moved
from bookings.tests.tracking_helpers import HOME, confirmed_soon, under_way
from bookings.tracking.services import safety_check_in_missed_alert_due, safety_parent_overdue_raise
from conftest import race
from emergencies.models import Emergency, EmergencyKind, EmergencyResponse, EmergencyStatus, EscalationStep, StepStatus
from emergencies.selectors import emergency_timeline, emergency_unacknowledged_figures
from emergencies.services import REDRIVE_GRACE, emergency_acknowledge, escalation_redrive, escalation_step_run
from emergencies.tests.factories import Family, notifications_of, raise_sos, step
from guardiannest.audit.models import AuditEvent
from guardiannest.realtime.groups import STAFF_EMERGENCIES
from guardiannest.realtime.testing import GroupListener
from messaging.models import Delivery, Notification

pytestmark = pytest.mark.django_db


def _missed(booked: Family) -> Booking:
    """A confirmed booking of the family that started 16 minutes ago, nobody checked in."""
    return moved(confirmed_soon(booked.world), starts_at=timezone.now() - timedelta(minutes=16))


def _overdue(booked: Family) -> Booking:
    """An in-progress booking of the family whose end has passed."""
    booking = under_way(booked.world)
    return moved(booking, starts_at=timezone.now() - timedelta(hours=2, minutes=20))


def _sms(notification: Notification) -> str:
    """The text of the notification's SMS, as queued for the provider."""
    delivery = Delivery.objects.get(notification=notification, channel="sms", status=Delivery.Status.QUEUED)
    return str(delivery.payload["body"])  # type: ignore[index]


def _sent(emergency: Emergency, number: int) -> datetime:
    sent_at = step(emergency, number).sent_at
    assert sent_at is not None
    return sent_at


def _audiences(emergency: Emergency, number: int) -> list[str]:
    return [notice["audience"] for notice in step(emergency, number).notices]


@pytest.mark.django_db(transaction=True)
def test_a_missed_check_in_opens_exactly_one_alert_even_when_the_beat_job_runs_twice_at_once(
    booked: Family, staff: User
) -> None:
    booking = _missed(booked)

    results = race(2, safety_check_in_missed_alert_due) + race(3, safety_check_in_missed_alert_due)

    assert sorted(r for r in results if isinstance(r, int)) == [0, 0, 0, 0, 1], results
    [alert] = Emergency.objects.filter(booking=booking)
    assert alert.kind == EmergencyKind.MISSED_CHECK_IN and alert.status == EmergencyStatus.ACTIVE
    assert alert.raised_by_id is None and alert.family_id == booked.parent.pk
    assert alert.latitude is None and alert.longitude is None  # the sitter never arrived; the home stays encrypted
    assert list(EscalationStep.objects.filter(emergency=alert).values_list("number", "rung")) == [(0, "raised")]
    assert SafetyAlert.objects.get(booking=booking).alert_id == alert.pk


def test_the_missed_check_in_climbs_the_same_ladder_with_its_own_words_and_a_longer_first_step(
    booked: Family, staff: User, settings: Any
) -> None:
    settings.EMERGENCY_TIMER_FIRST_STEP_SECONDS = 300
    settings.EMERGENCY_ESCALATION_SECONDS = 60
    safety_check_in_missed_alert_due(now=_missed(booked).starts_at + timedelta(minutes=16))
    alert = Emergency.objects.get(kind=EmergencyKind.MISSED_CHECK_IN)

    # the first fan-out: the parent and the sitter (the platform raised it: nobody is left out), then the contacts
    assert escalation_redrive(now=alert.created_at + REDRIVE_GRACE) == 1
    assert _audiences(alert, 0) == ["parties", "parties", "contacts", "contacts", "contacts"]
    first = notifications_of(alert, 0)
    assert {n.user_id for n in first[:2]} == {booked.parent.pk, booked.sitter.pk}
    assert [n.recipient_name for n in first[2:]] == ["First Contact", "Second Contact", "Third Contact"]
    assert {n.kind for n in first} == {"emergency.missed_check_in"}
    assert booked.sitter.first_name in first[0].body and "has not checked in" in first[0].body
    assert "raised an emergency alert" not in first[0].body + first[0].title  # not the panic SOS's words
    assert "SAFETY CHECK:" in _sms(first[2]) and "has not checked in" in _sms(first[2])  # the first contact's SMS
    # the first escalation waits EMERGENCY_TIMER_FIRST_STEP_SECONDS, not the SOS's 60 s
    second = step(alert, 1)
    assert second.due_at == _sent(alert, 0) + timedelta(seconds=300)
    assert escalation_redrive(now=alert.created_at + timedelta(seconds=200)) == 0
    assert escalation_redrive(now=alert.created_at + timedelta(seconds=321)) == 1  # step 0 sent at +10, +300, +grace
    assert _audiences(alert, 1) == ["parties", "parties", "contacts", "contacts", "contacts"]
    again = notifications_of(alert, 1)[0]
    assert again.kind == "emergency.missed_check_in" and "Nobody has acknowledged" in again.body
    # then the on-call staff, one SOS interval later
    assert step(alert, 2).due_at == _sent(alert, 1) + timedelta(seconds=60)
    assert escalation_redrive(now=alert.created_at + timedelta(seconds=321 + 71)) == 1
    assert _audiences(alert, 2) == ["on_call_staff"]
    assert [n.user_id for n in notifications_of(alert, 2)] == [staff.pk]


def test_the_alert_reaches_the_staff_socket_and_a_late_check_in_resolves_it(
    booked: Family, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    booking = _missed(booked)
    listener = GroupListener([STAFF_EMERGENCIES])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert safety_check_in_missed_alert_due() == 1
        raised = listener.next_envelope()
        alert = Emergency.objects.get(booking=booking)
        escalation_step_run(step_id=step(alert, 0).pk)  # step 0 sent, step 1 pending

        # when the sitter checks in, late
        with django_capture_on_commit_callbacks(execute=True):
            booking_check_in(booking_id=booking.pk, actor=booked.sitter, **HOME)
        updated = listener.next_envelope()
    finally:
        listener.close()

    assert raised["type"] == "emergency.raised"
    assert raised["data"]["kind"] == "missed_check_in" and raised["data"]["booking_id"] == str(booking.pk)
    assert raised["data"]["raised_by"] is None and raised["data"]["latitude"] is None
    # then the alert is resolved by that move, and the ladder stops
    alert.refresh_from_db()
    assert alert.status == EmergencyStatus.RESOLVED and alert.resolved_by_id == booked.sitter.pk
    assert alert.resolution_notes == "Resolved automatically: the sitter checked in."
    assert step(alert, 1).status == StepStatus.CANCELLED
    assert updated["type"] == "emergency.updated" and updated["data"]["status"] == "resolved"
    assert updated["data"]["automatic"] is True and updated["data"]["resolved_by"]["role"] == "sitter"
    assert [e["type"] for e in emergency_timeline(emergency=alert)][-1] == "resolved"
    assert AuditEvent.objects.filter(action="emergency.resolved", target_id=str(alert.pk)).count() == 1
    # nothing more is sent, whatever the re-drive finds later
    assert escalation_redrive(now=alert.created_at + timedelta(hours=1)) == 0


def test_someone_who_acknowledges_stops_the_ladder_and_the_check_in_still_closes_the_alert(
    booked: Family, staff: User
) -> None:
    booking = _missed(booked)
    safety_check_in_missed_alert_due()
    alert = Emergency.objects.get(booking=booking)
    escalation_redrive(now=alert.created_at + REDRIVE_GRACE)

    emergency_acknowledge(emergency_id=alert.pk, actor=booked.parent)
    assert step(alert, 1).status == StepStatus.CANCELLED

    booking_check_in(booking_id=booking.pk, actor=booked.sitter, **HOME)
    alert.refresh_from_db()
    assert alert.status == EmergencyStatus.RESOLVED
    assert list(EmergencyResponse.objects.filter(emergency=alert).values_list("action", "actor_role")) == [
        ("acknowledged", "parent"),
        ("resolved", "sitter"),
    ]


def test_an_alert_resolved_by_hand_keeps_its_resolution_at_the_check_in(booked: Family, staff: User) -> None:
    from emergencies.services import emergency_resolve

    booking = _missed(booked)
    safety_check_in_missed_alert_due()
    alert = Emergency.objects.get(booking=booking)
    emergency_resolve(emergency_id=alert.pk, actor=staff, notes="Called the sitter: stuck on the U2.")

    booking_check_in(booking_id=booking.pk, actor=booked.sitter, **HOME)

    alert.refresh_from_db()
    assert alert.resolved_by_id == staff.pk and alert.resolution_notes == "Called the sitter: stuck on the U2."
    assert EmergencyResponse.objects.filter(emergency=alert, action="resolved").count() == 1


def test_the_parent_overdue_tells_the_family_not_the_sitter_shows_where_the_sitter_is_and_ends_at_check_out(
    booked: Family, staff: User
) -> None:
    booking = _overdue(booked)

    claim, created = safety_parent_overdue_raise(booking_id=booking.pk, sitter=booked.sitter)
    again, created_again = safety_parent_overdue_raise(booking_id=booking.pk, sitter=booked.sitter)

    assert created and not created_again and again.alert_id == claim.alert_id
    [alert] = Emergency.objects.filter(booking=booking)
    assert alert.kind == EmergencyKind.PARENT_OVERDUE and alert.raised_by_id == booked.sitter.pk
    assert (alert.latitude, alert.longitude) == (HOME["latitude"], HOME["longitude"])  # the check-in's place
    escalation_redrive(now=alert.created_at + REDRIVE_GRACE)
    assert _audiences(alert, 0) == ["parties", "contacts", "contacts", "contacts"]
    parent_note = notifications_of(alert, 0)[0]
    assert parent_note.user_id == booked.parent.pk and parent_note.kind == "emergency.parent_overdue"
    assert "has not come back" in parent_note.body and "raised an emergency alert" not in parent_note.body
    assert step(alert, 1).due_at == _sent(alert, 0) + timedelta(seconds=settings.EMERGENCY_TIMER_FIRST_STEP_SECONDS)

    booking_check_out(booking_id=booking.pk, actor=booked.sitter, **HOME)

    alert.refresh_from_db()
    assert alert.status == EmergencyStatus.RESOLVED
    assert alert.resolution_notes == "Resolved automatically: the sitter checked out."
    assert step(alert, 1).status == StepStatus.CANCELLED


def test_an_sos_on_the_same_booking_is_an_alert_of_its_own_and_is_never_closed_by_the_booking(
    booked: Family, staff: User
) -> None:
    booking = _missed(booked)
    safety_check_in_missed_alert_due()
    sos = raise_sos(booked.parent, booking)

    booking_check_in(booking_id=booking.pk, actor=booked.sitter, **HOME)

    kinds = dict(Emergency.objects.filter(booking=booking).values_list("kind", "status"))
    assert kinds == {"missed_check_in": "resolved", "sos": "active"}
    sos.refresh_from_db()
    assert sos.status == EmergencyStatus.ACTIVE


def test_the_sos_page_to_operators_counts_panic_alerts_only(booked: Family, staff: User) -> None:
    safety_check_in_missed_alert_due(now=_missed(booked).starts_at + timedelta(minutes=16))
    assert emergency_unacknowledged_figures()["count"] == 0

    raise_sos(booked.parent, booked.booking)
    assert emergency_unacknowledged_figures()["count"] == 1


def test_the_alerts_reach_people_as_safety_checks_not_as_an_sos(booked: Family, staff: User) -> None:
    """Every channel of both timer kinds, at the raise and escalated, is worded apart from the panic SOS."""
    safety_check_in_missed_alert_due(now=_missed(booked).starts_at + timedelta(minutes=16))
    overdue = _overdue_for_another_booking(booked)
    safety_parent_overdue_raise(booking_id=overdue.pk, sitter=booked.sitter)
    for alert in Emergency.objects.exclude(kind=EmergencyKind.SOS):
        escalation_redrive(now=alert.created_at + REDRIVE_GRACE)
        escalation_redrive(now=alert.created_at + timedelta(seconds=settings.EMERGENCY_TIMER_FIRST_STEP_SECONDS + 21))
    rows = list(Notification.objects.filter(kind__in=["emergency.missed_check_in", "emergency.parent_overdue"]))
    assert {row.kind for row in rows} == {"emergency.missed_check_in", "emergency.parent_overdue"}
    texts = (
        [row.title for row in rows] + [row.body for row in rows] + [_sms(row) for row in rows if row.user_id is None]
    )
    assert all(text for text in texts)
    assert any(row.title.startswith("Safety check still unanswered:") for row in rows)  # the escalations too
    for row in rows:
        assert row.title.startswith(("Safety check:", "Safety check still unanswered:")), row.title
    for text in texts:
        assert "raised an emergency alert" not in text and "EMERGENCY" not in text and "needs help" not in text
    for row in rows:
        if row.user_id is None:  # a contact: by SMS
            assert _sms(row).startswith(("GuardianNest SAFETY CHECK:", "GuardianNest SAFETY CHECK, STILL UNANSWERED:"))


def _overdue_for_another_booking(booked: Family) -> Booking:
    """A second booking of the family, under way, its end passed (the first is the missed check-in's)."""
    booking = confirmed_soon(booked.world, minutes=200)
    booking = moved(booking, starts_at=timezone.now() - timedelta(minutes=5))
    booking_check_in(booking_id=booking.pk, actor=booked.sitter, **HOME)
    return moved(booking, starts_at=timezone.now() - timedelta(hours=3))


def test_a_timers_alert_whose_booking_was_erased_still_climbs(booked: Family, staff: User) -> None:
    safety_check_in_missed_alert_due(now=_missed(booked).starts_at + timedelta(minutes=16))
    alert = Emergency.objects.get(kind=EmergencyKind.MISSED_CHECK_IN)
    Emergency.objects.filter(pk=alert.pk).update(booking=None)

    assert escalation_step_run(step_id=step(alert, 0).pk) == StepStatus.SENT

    assert _audiences(alert, 0) == ["parties", "contacts", "contacts", "contacts"]  # the family, still
    parent_note = notifications_of(alert, 0)[0]
    assert parent_note.user_id == booked.parent.pk and "The sitter has not checked in" in parent_note.body
