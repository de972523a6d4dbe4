"""POST devices and DELETE devices/{id}; a token FCM reports gone is dropped."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from conftest import client_for, race
from guardiannest.audit.models import AuditEvent
from messaging.models import Device
from messaging.selectors.devices import device_list_for_user
from messaging.services.devices import device_register, device_remove_token

DEVICES = "/api/v1/devices"
TOKEN = "fcm:APA91b" + "x" * 150


@pytest.mark.django_db
def test_a_device_is_registered(parent: User, parent_api: APIClient) -> None:
    response = parent_api.post(DEVICES, {"token": TOKEN, "platform": "android"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "token", "platform", "created_at", "last_seen_at"}
    device = Device.objects.get(pk=body["id"])
    assert (device.user, device.token, device.platform) == (parent, TOKEN, "android")
    event = AuditEvent.objects.get(action="device.registered")
    assert event.target_id == str(device.pk)
    assert TOKEN not in str(event.data)


@pytest.mark.django_db
def test_registering_a_token_again_refreshes_it_without_a_duplicate(parent: User, parent_api: APIClient) -> None:
    first = parent_api.post(DEVICES, {"token": TOKEN, "platform": "android"}, format="json").json()

    again = parent_api.post(DEVICES, {"token": TOKEN, "platform": "android"}, format="json")

    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert again.json()["last_seen_at"] >= first["last_seen_at"]
    assert Device.objects.count() == 1
    assert AuditEvent.objects.filter(action="device.registered").count() == 1  # nothing new to record


@pytest.mark.django_db
def test_a_token_registered_from_another_account_moves_to_it(
    parent: User, parent_api: APIClient, other_parent: User
) -> None:
    parent_api.post(DEVICES, {"token": TOKEN, "platform": "ios"}, format="json")

    response = client_for(other_parent).post(DEVICES, {"token": TOKEN, "platform": "ios"}, format="json")

    assert response.status_code == 201
    assert Device.objects.get().user == other_parent
    assert list(device_list_for_user(user=parent)) == []
    assert AuditEvent.objects.filter(action="device.registered").latest("id").data["moved"] is True


@pytest.mark.django_db(transaction=True)
def test_racing_registrations_of_one_token_leave_one_row(parent: User) -> None:
    results = race(8, lambda: device_register(user=parent, token=TOKEN, platform="web"))

    assert all(isinstance(result, Device) for result in results), results
    assert Device.objects.filter(token=TOKEN).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"token": TOKEN},
        {"platform": "android"},
        {"token": TOKEN, "platform": "windows"},
        {"token": "short", "platform": "android"},
        {"token": "has spaces in it and more", "platform": "android"},
        {"token": "x" * 1025, "platform": "android"},
        {"token": TOKEN, "platform": "android", "user": "someone-else"},
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(parent_api: APIClient, body: dict[str, Any]) -> None:
    assert_problem(parent_api.post(DEVICES, body, format="json"), 400, "invalid")
    assert Device.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_callers_cannot_register(api: APIClient) -> None:
    assert_problem(api.post(DEVICES, {"token": TOKEN, "platform": "android"}, format="json"), 401)
    assert Device.objects.count() == 0


@pytest.mark.django_db
def test_a_device_is_deleted(parent: User, parent_api: APIClient) -> None:
    device = Device.objects.create(user=parent, token=TOKEN, platform="ios")

    response = parent_api.delete(f"{DEVICES}/{device.pk}")

    assert response.status_code == 204
    assert not Device.objects.filter(pk=device.pk).exists()
    assert AuditEvent.objects.get(action="device.deleted").target_id == str(device.pk)


@pytest.mark.django_db
def test_someone_elses_device_answers_404_and_stays(parent: User, other_parent: User) -> None:
    device = Device.objects.create(user=parent, token=TOKEN, platform="ios")

    assert_problem(client_for(other_parent).delete(f"{DEVICES}/{device.pk}"), 404, "not_found")
    assert Device.objects.filter(pk=device.pk, user=parent).exists()


@pytest.mark.django_db
def test_a_token_fcm_reports_gone_is_removed_once(parent: User) -> None:
    Device.objects.create(user=parent, token=TOKEN, platform="android")
    Device.objects.create(user=parent, token=TOKEN + "other", platform="android")

    assert device_remove_token(token=TOKEN) is True
    assert device_remove_token(token=TOKEN) is False  # already gone: not an error
    assert list(Device.objects.values_list("token", flat=True)) == [TOKEN + "other"]


@pytest.mark.django_db
def test_gdpr_export_lists_devices_without_tokens_and_erasure_removes_them(parent: User, other_parent: User) -> None:
    from messaging.services.devices import devices_erase, devices_export

    mine = Device.objects.create(user=parent, token=TOKEN, platform="ios")
    Device.objects.create(user=other_parent, token=TOKEN + "theirs", platform="web")

    exported = devices_export(parent)

    assert exported == {"devices": [{"id": str(mine.pk), "platform": "ios", "created_at": mine.created_at.isoformat()}]}
    assert TOKEN not in str(exported)
    devices_erase(parent)
    assert list(Device.objects.values_list("user", flat=True)) == [other_parent.pk]
