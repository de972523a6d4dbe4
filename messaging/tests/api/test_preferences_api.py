"""GET/PATCH notifications/preferences: defaults, isolation, validation, cannot_disable."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from conftest import client_for
from guardiannest.audit.models import AuditEvent
from messaging.models import NotificationPreference

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/preferences"
ALL_ON = {"email": True, "sms": True, "push": True}


def _stored(user: User) -> Any:
    return NotificationPreference.objects.filter(user=user).values_list("overrides", flat=True).first()


def test_defaults_are_on_except_marketing(parent_api: APIClient) -> None:
    response = parent_api.get(URL)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "preferences": {
            "account": ALL_ON,
            "booking": ALL_ON,
            "payment": ALL_ON,
            "chat": ALL_ON,
            "emergency": ALL_ON,
            "marketing": {"email": False, "sms": False, "push": False},
        }
    }


def test_a_change_is_stored_for_that_user_only(parent_api: APIClient, parent: User, other_parent: User) -> None:
    response = parent_api.patch(
        URL, {"preferences": {"booking": {"sms": False}, "marketing": {"email": True}}}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()["preferences"]
    assert body["booking"] == {"email": True, "sms": False, "push": True}
    assert body["marketing"] == {"email": True, "sms": False, "push": False}
    assert parent_api.get(URL).json()["preferences"] == body
    other = client_for(other_parent).get(URL).json()["preferences"]
    assert other["booking"] == ALL_ON and other["marketing"]["email"] is False
    event = AuditEvent.objects.get(action="notification.preferences_changed")
    assert event.actor_id == parent.pk
    assert event.data == {"changes": {"booking.sms": False, "marketing.email": True}}


def test_repeating_a_change_writes_no_second_audit_event(parent_api: APIClient) -> None:
    for _ in range(2):
        assert parent_api.patch(URL, {"preferences": {"chat": {"push": False}}}, format="json").status_code == 200

    assert AuditEvent.objects.filter(action="notification.preferences_changed").count() == 1


@pytest.mark.parametrize(
    "change",
    [{"account": {"email": False}}, {"emergency": {"push": False}}, {"emergency": {"sms": False}}],
    ids=["account-email", "emergency-push", "emergency-sms"],
)
def test_account_and_emergency_cannot_be_switched_off(parent_api: APIClient, parent: User, change: Any) -> None:
    response = parent_api.patch(URL, {"preferences": {**change, "booking": {"email": False}}}, format="json")

    body = assert_problem(response, 400, "cannot_disable")
    [(category, channels)] = change.items()
    assert list(body["errors"]) == [f"preferences.{category}.{next(iter(channels))}"]
    assert _stored(parent) is None  # the valid part of the request was not applied either


def test_switching_account_messages_on_is_a_no_op(parent_api: APIClient, parent: User) -> None:
    response = parent_api.patch(URL, {"preferences": {"account": {"email": True}}}, format="json")

    assert response.status_code == 200
    assert response.json()["preferences"]["account"] == ALL_ON
    assert not AuditEvent.objects.filter(action="notification.preferences_changed").exists()


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"preferences": {"bookings": {"email": False}}}, "preferences.bookings"),
        ({"preferences": {"booking": {"fax": False}}}, "preferences.booking.fax"),
        ({"preferences": {"booking": {"email": "no"}}}, "preferences.booking.email"),
        ({"preferences": {"booking": {"email": 0}}}, "preferences.booking.email"),
        ({"preferences": {"booking": True}}, "preferences.booking.non_field_errors"),
        ({"preferences": {"marketing": {"sms": True}}}, "preferences.marketing.sms"),
        ({"preferences": {}, "extra": 1}, "extra"),
        ({}, "preferences"),
    ],
)
def test_bad_input_is_refused_by_name_and_changes_nothing(
    parent_api: APIClient, parent: User, payload: Any, named: str
) -> None:
    response = parent_api.patch(URL, payload, format="json")

    body = assert_problem(response, 400, "invalid")
    assert named in body["errors"], body
    assert _stored(parent) is None


def test_anonymous_is_refused(api: APIClient) -> None:
    assert_problem(api.get(URL), 401)
    assert_problem(api.patch(URL, {"preferences": {"booking": {"email": False}}}, format="json"), 401)
