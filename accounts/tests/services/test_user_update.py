from __future__ import annotations

import pytest

from accounts.models import Role, User
from accounts.services.auth import user_phone_set, user_update
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_user_update_changes_names_and_phone(parent: User) -> None:
    user_update(user=parent, actor=parent, data={"first_name": "Zoe", "phone": "+14155550100"})

    stored = User.objects.get(pk=parent.pk)
    assert (stored.first_name, stored.phone) == ("Zoe", "+14155550100")


def test_user_update_ignores_every_other_field(parent: User) -> None:
    user_update(
        user=parent,
        actor=parent,
        data={"role": Role.STAFF, "is_staff": True, "email": "x@example.com", "is_active": False},
    )

    stored = User.objects.get(pk=parent.pk)
    assert (stored.role, stored.is_staff, stored.email, stored.is_active) == (
        Role.PARENT,
        False,
        "parent@example.com",
        True,
    )


def test_user_update_writes_nothing_when_nothing_changes(parent: User) -> None:
    before = User.objects.get(pk=parent.pk).updated_at

    result = user_update(user=parent, actor=parent, data={"first_name": parent.first_name})

    assert result is parent
    assert User.objects.get(pk=parent.pk).updated_at == before


def test_user_phone_set_changes_the_phone_and_audits_which_field_changed(parent: User, staff: User) -> None:
    user_phone_set(user=parent, phone="+14155550123", actor=staff)

    assert User.objects.get(pk=parent.pk).phone == "+14155550123"
    event = AuditEvent.objects.get(action="user.updated", target_id=str(parent.pk))
    assert (event.actor_id, event.data) == (staff.pk, {"fields": ["phone"]})


def test_user_phone_set_to_the_same_number_writes_nothing(parent: User) -> None:
    user_phone_set(user=parent, phone=parent.phone, actor=parent)

    assert not AuditEvent.objects.filter(action="user.updated").exists()
