"""Demo families are seeded once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import Child, EmergencyContact, ParentProfile, User
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_demo_parents_get_a_family_once() -> None:
    call_command("seed_demo")
    call_command("seed_demo")

    anna = User.objects.get(email="parent.anna@guardiannest.demo")
    assert sorted(Child.objects.filter(parent=anna).values_list("first_name", flat=True)) == ["Leo", "Mia"]
    assert EmergencyContact.objects.filter(parent=anna).count() == 1
    assert ParentProfile.objects.get(user=anna).address.startswith("Torstrasse")
    ben = User.objects.get(email="parent.ben@guardiannest.demo")
    assert Child.objects.filter(parent=ben).count() == 1
    assert Child.objects.count() == 3
    assert AuditEvent.objects.filter(action="family.child_created").count() == 3
