"""Who sees which events: a user's own actions and what was done to their account, nobody else's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from guardiannest.audit.selectors import audit_event_list_for_user
from guardiannest.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_a_user_sees_their_own_events_newest_first_and_not_anyone_elses(
    parent: User, other_parent: User, staff: User
) -> None:
    # given
    registered = audit_record(action="user.registered", actor=parent, target=parent)
    other = audit_record(action="user.registered", actor=other_parent, target=other_parent)
    by_staff = audit_record(action="user.updated", actor=staff, target=parent, data={"fields": ["phone"]})
    acted_elsewhere = audit_record(
        action="booking.requested", actor=parent, target_type="bookings.booking", target_id=1
    )
    staff_on_other = audit_record(action="user.updated", actor=staff, target=other_parent)
    audit_record(action="auth.login_failed", data={"reason": "unknown_email"})
    # when
    seen = list(audit_event_list_for_user(user=parent))
    # then
    assert [e.pk for e in seen] == [acted_elsewhere.pk, by_staff.pk, registered.pk]
    assert {e.pk for e in audit_event_list_for_user(user=other_parent)} == {other.pk, staff_on_other.pk}


def test_an_anonymous_user_sees_nothing_not_every_actorless_event() -> None:
    audit_record(action="auth.login_failed", data={"reason": "unknown_email"})
    assert list(audit_event_list_for_user(user=AnonymousUser())) == []
