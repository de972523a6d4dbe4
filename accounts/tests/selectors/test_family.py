"""Reads of a child's health details or a family's address by anyone but the parent leave an audit trail."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from accounts.models import Child, User
from accounts.selectors.family import child_medical_read_for, family_address_read_for
from accounts.tests.factories import ParentProfileFactory
from conftest import client_for
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_sitter_reading_medical_notes_is_audited_for_the_parent(parent: User, sitter: User, child: Child) -> None:
    medical = child_medical_read_for(child=child, reader=sitter)

    assert (medical.child_id, medical.medical_notes, medical.allergies) == (
        child.pk,
        "Asthma: inhaler before sport",
        "Peanuts",
    )
    event = AuditEvent.objects.get(action="family.medical_notes_read")
    assert (event.actor_id, event.target_type, event.target_id) == (sitter.pk, "accounts.user", str(parent.pk))
    assert event.data == {"child_id": str(child.pk)}
    assert "inhaler" not in json.dumps(event.data).lower()


def test_the_parent_sees_the_read_in_their_security_events(parent: User, sitter: User, child: Child) -> None:
    child_medical_read_for(child=child, reader=sitter)

    events = client_for(parent).get("/api/v1/security/events").json()["results"]

    reads = [event for event in events if event["action"] == "family.medical_notes_read"]
    assert len(reads) == 1
    assert reads[0]["by"] == "someone_else"
    assert reads[0]["ip"] is None  # not the reader's address


def test_the_parent_reading_their_own_child_is_not_audited(parent: User, child: Child) -> None:
    assert child_medical_read_for(child=child, reader=parent).medical_notes == "Asthma: inhaler before sport"

    assert not AuditEvent.objects.filter(action="family.medical_notes_read").exists()


def test_every_read_is_audited_not_just_the_first(sitter: User, child: Child) -> None:
    child_medical_read_for(child=child, reader=sitter)
    child_medical_read_for(child=child, reader=sitter)

    assert AuditEvent.objects.filter(action="family.medical_notes_read").count() == 2


def test_a_staff_member_reading_an_address_is_audited(parent: User, staff: User) -> None:
    ParentProfileFactory(user=parent, address="12 Elm Street", latitude=Decimal("52.5"), longitude=Decimal("13.4"))

    found = family_address_read_for(parent=parent, reader=staff)

    assert found is not None
    assert (found.address, found.latitude, found.longitude) == ("12 Elm Street", Decimal("52.5"), Decimal("13.4"))
    event = AuditEvent.objects.get(action="family.address_read")
    assert (event.actor_id, event.target_id, event.data) == (staff.pk, str(parent.pk), {})


def test_an_address_read_by_the_parent_or_of_nothing_is_not_audited(parent: User, sitter: User) -> None:
    assert family_address_read_for(parent=parent, reader=sitter) is None  # no profile yet
    ParentProfileFactory(user=parent, address="12 Elm Street")
    assert family_address_read_for(parent=parent, reader=parent) is not None

    assert not AuditEvent.objects.filter(action="family.address_read").exists()
