"""POST/GET emergencies, acknowledge and resolve over HTTP: status codes, shapes, refusals that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from conftest import client_for
from emergencies.models import Emergency, EmergencyResponse, EmergencyStatus
from emergencies.tests.factories import Family, raise_sos

pytestmark = pytest.mark.django_db

URL = "/api/v1/emergencies"
PLACE = {"latitude": 52.520008, "longitude": 13.404954}


def _url(emergency: Any, action: str = "") -> str:
    return f"{URL}/{emergency.pk if hasattr(emergency, 'pk') else emergency}" + (f"/{action}" if action else "")


def test_a_sitter_raises_an_sos_during_a_booking(booked: Family) -> None:
    response = client_for(booked.sitter).post(
        URL, {"booking_id": str(booked.booking.pk), **PLACE, "message": "Help"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active" and body["id"] and body["created_at"]
    assert body["booking_id"] == str(booked.booking.pk) and body["message"] == "Help"
    assert body["latitude"] == 52.520008 and body["longitude"] == 13.404954
    assert body["map_url"] == "https://www.openstreetmap.org/?mlat=52.520008&mlon=13.404954#map=17/52.520008/13.404954"
    assert [entry["type"] for entry in body["timeline"]] == ["raised", "escalation"]
    assert Emergency.objects.get().raised_by_id == booked.sitter.pk


def test_a_parent_raises_one_without_a_booking(parent: User, parent_api: APIClient) -> None:
    response = parent_api.post(URL, PLACE, format="json")

    assert response.status_code == 201
    assert response.json()["booking_id"] is None and Emergency.objects.get().family_id == parent.pk


def test_a_second_tap_from_the_same_device_answers_the_first_alert_with_200(sitter: User) -> None:
    client = client_for(sitter)  # one signed-in session: one device

    first = client.post(URL, PLACE, format="json")
    again = client.post(URL, {**PLACE, "message": "again"}, format="json")
    other_device = client_for(sitter).post(URL, PLACE, format="json")

    assert (first.status_code, again.status_code, other_device.status_code) == (201, 200, 201)
    assert again.json()["id"] == first.json()["id"] and again.json()["message"] == ""
    assert other_device.json()["id"] != first.json()["id"]


def test_a_stranger_raising_on_someone_elses_booking_is_not_found(booked: Family, other_parent: User) -> None:
    response = client_for(other_parent).post(URL, {"booking_id": str(booked.booking.pk), **PLACE}, format="json")

    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
    assert not Emergency.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"latitude": 91, "longitude": 0}, "latitude"),
        ({"latitude": 0, "longitude": -180.5}, "longitude"),
        ({"latitude": "north", "longitude": 0}, "latitude"),
        ({"longitude": 0}, "latitude"),
        ({"latitude": 0, "longitude": 0, "booking_id": "not-a-uuid"}, "booking_id"),
        ({"latitude": 0, "longitude": 0, "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_creates_nothing(
    parent_api: APIClient, body: dict[str, Any], field: str
) -> None:
    response = parent_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["errors"]
    assert not Emergency.objects.exists()


def test_staff_cannot_raise_and_nobody_unauthenticated_can(staff_api: APIClient, api: APIClient) -> None:
    assert staff_api.post(URL, PLACE, format="json").status_code == 403
    assert api.post(URL, PLACE, format="json").status_code == 401
    assert api.get(URL).status_code == 401
    assert not Emergency.objects.exists()


def test_the_list_holds_a_partys_own_alerts_and_for_staff_every_open_one(
    booked: Family, other_parent: User, staff_api: APIClient
) -> None:
    mine = raise_sos(booked.sitter, booked.booking)
    theirs = raise_sos(other_parent)
    closed = raise_sos(other_parent, device="device-2")
    client_for(other_parent).post(_url(closed, "resolve"), {"notes": "fine"}, format="json")

    def ids(client: APIClient) -> list[str]:
        response = client.get(URL)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids(client_for(booked.parent)) == [str(mine.pk)]
    assert ids(client_for(booked.sitter)) == [str(mine.pk)]
    assert ids(client_for(other_parent)) == [str(closed.pk), str(theirs.pk)]
    assert set(ids(staff_api)) == {str(mine.pk), str(theirs.pk)}


def test_the_detail_is_for_the_parties_and_staff_only(booked: Family, other_parent: User, staff_api: APIClient) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)

    assert client_for(booked.parent).get(_url(emergency)).status_code == 200
    assert staff_api.get(_url(emergency)).status_code == 200
    response = client_for(other_parent).get(_url(emergency))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_acknowledge_then_resolve_answer_the_alert_and_a_repeat_changes_nothing(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    parent = client_for(booked.parent)

    acknowledged = parent.post(_url(emergency, "acknowledge"))
    again = parent.post(_url(emergency, "acknowledge"))
    resolved = parent.post(_url(emergency, "resolve"), {"notes": "Bumped head, all fine"}, format="json")
    resolved_again = client_for(booked.sitter).post(_url(emergency, "resolve"), {"notes": "other"}, format="json")

    assert (acknowledged.status_code, again.status_code, resolved.status_code, resolved_again.status_code) == (
        200,
        200,
        200,
        200,
    )
    assert acknowledged.json()["status"] == "acknowledged" and acknowledged.json()["acknowledged_at"]
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolution_notes"] == "Bumped head, all fine"
    assert resolved_again.json() == resolved.json()
    assert [e["type"] for e in resolved.json()["timeline"]][-2:] == ["acknowledged", "resolved"]
    assert EmergencyResponse.objects.count() == 2


def test_acknowledging_an_alert_you_cannot_see_is_404_and_changes_nothing(booked: Family, other_parent: User) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)
    stranger = client_for(other_parent)

    assert stranger.post(_url(emergency, "acknowledge")).status_code == 404
    assert stranger.post(_url(emergency, "resolve"), {"notes": "x"}, format="json").status_code == 404
    assert stranger.post(_url("00000000-0000-4000-8000-000000000000", "acknowledge")).status_code == 404
    emergency.refresh_from_db()
    assert emergency.status == EmergencyStatus.ACTIVE and not EmergencyResponse.objects.exists()


def test_resolve_refuses_unknown_fields(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)

    response = client_for(booked.parent).post(_url(emergency, "resolve"), {"note": "typo"}, format="json")

    assert response.status_code == 400 and "note" in response.json()["errors"]
    emergency.refresh_from_db()
    assert emergency.status == EmergencyStatus.ACTIVE


def test_the_schema_describes_every_emergency_endpoint(api: APIClient) -> None:
    schema = api.get("/api/schema", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/emergencies"])
    assert "get" in paths["/api/v1/emergencies/{emergency_id}"]
    assert "post" in paths["/api/v1/emergencies/{emergency_id}/acknowledge"]
    assert "post" in paths["/api/v1/emergencies/{emergency_id}/resolve"]
    assert "timeline" in schema["components"]["schemas"]["EmergencyDetail"]["properties"]


def test_a_safety_timers_alert_reads_with_its_kind_and_without_a_raiser_or_a_place(booked: Family) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from bookings.tests.factories import moved
    from bookings.tests.tracking_helpers import confirmed_soon
    from bookings.tracking.services import safety_check_in_missed_alert_due

    booking = moved(confirmed_soon(booked.world), starts_at=timezone.now() - timedelta(minutes=16))
    safety_check_in_missed_alert_due()
    alert = Emergency.objects.get(booking=booking)

    for who in (booked.parent, booked.sitter):
        body = client_for(who).get(_url(alert)).json()
        assert body["kind"] == "missed_check_in" and body["booking_id"] == str(booking.pk)
        assert body["raised_by_id"] is None and body["latitude"] is None and body["map_url"] is None
        raised = body["timeline"][0]
        assert (raised["type"], raised["actor_id"], raised["actor_role"]) == ("raised", None, "platform")
        listed = client_for(who).get(URL).json()["results"]
        assert [(row["id"], row["kind"]) for row in listed] == [(str(alert.pk), "missed_check_in")]
    # the sitter can acknowledge it like any alert of theirs
    response = client_for(booked.sitter).post(_url(alert, "acknowledge"))
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"


def test_an_sos_reads_with_kind_sos(booked: Family) -> None:
    emergency = raise_sos(booked.sitter, booked.booking)

    body = client_for(booked.parent).get(_url(emergency)).json()

    assert body["kind"] == "sos" and body["raised_by_id"] == str(booked.sitter.pk)
