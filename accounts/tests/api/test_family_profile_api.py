"""GET/PATCH parents/me: made on first access, validated, audited by field name only."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from accounts.models import ParentProfile, User
from accounts.tests.family_helpers import CHILDREN, CONTACTS, FAVORITES, ME
from accounts.tests.problems import assert_problem
from conftest import client_for
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FULL = {"address": "12 Elm Street\nSpringfield", "latitude": 52.5296, "longitude": 13.4014, "phone": "+4930901820"}


def test_first_access_makes_an_empty_profile(parent: User, parent_api: APIClient) -> None:
    response = parent_api.get(ME)

    assert response.status_code == 200
    assert response.json() == {"address": "", "latitude": None, "longitude": None, "phone": ""}
    assert response["Cache-Control"] == "no-store"
    parent_api.get(ME)
    assert ParentProfile.objects.filter(user=parent).count() == 1


def test_patch_sets_and_returns_the_profile(parent: User, parent_api: APIClient) -> None:
    response = parent_api.patch(ME, FULL, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == FULL
    assert parent_api.get(ME).json() == FULL
    profile = ParentProfile.objects.get(user=parent)
    assert (profile.address, profile.phone) == (FULL["address"], FULL["phone"])


def test_an_update_is_audited_with_field_names_only(parent: User, parent_api: APIClient) -> None:
    parent_api.patch(ME, FULL, format="json")
    parent_api.patch(ME, {"phone": "+4930901899", "address": FULL["address"]}, format="json")

    events = list(AuditEvent.objects.filter(action="family.profile_updated").order_by("id"))
    assert [event.data for event in events] == [
        {"fields": ["address", "latitude", "longitude", "phone"]},
        {"fields": ["phone"]},  # the unchanged address is not a change
    ]
    assert all(event.actor_id == parent.pk for event in events)
    assert "Elm" not in json.dumps([event.data for event in events])


def test_an_empty_patch_changes_nothing_and_audits_nothing(parent_api: APIClient) -> None:
    assert parent_api.patch(ME, {}, format="json").status_code == 200
    assert not AuditEvent.objects.filter(action="family.profile_updated").exists()


def test_gps_precision_is_rounded_to_six_places(parent_api: APIClient) -> None:
    response = parent_api.patch(ME, {"latitude": 52.529612345678, "longitude": -13.401449999}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["latitude"] == 52.529612
    assert response.json()["longitude"] == -13.40145


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"latitude": 200, "longitude": 10}, "latitude"),
        ({"latitude": -90.5, "longitude": 10}, "latitude"),
        ({"latitude": 10, "longitude": 180.000001}, "longitude"),
        ({"latitude": 1e30, "longitude": 10}, "latitude"),
        ({"latitude": "north", "longitude": 10}, "latitude"),
        ({"latitude": "NaN", "longitude": 10}, "latitude"),
        ({"latitude": 10}, "longitude"),
        ({"phone": "0301234"}, "phone"),
        ({"address": "x" * 10_000}, "address"),
        ({"address": "a\x00b"}, "address"),
        ({"address": None}, "address"),
        ({"postcode": "10119"}, "postcode"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    parent: User, parent_api: APIClient, body: dict[str, object], field: str
) -> None:
    parent_api.patch(ME, {"address": "Before 1", "phone": "+4930901820"}, format="json")

    problem = assert_problem(parent_api.patch(ME, body, format="json"), 400, "invalid")

    assert field in problem["errors"], problem
    profile = ParentProfile.objects.get(user=parent)
    assert (profile.address, profile.latitude, profile.longitude) == ("Before 1", None, None)


def test_coordinates_are_cleared_together(parent_api: APIClient) -> None:
    parent_api.patch(ME, FULL, format="json")

    assert_problem(parent_api.patch(ME, {"latitude": None}, format="json"), 400, "invalid")
    response = parent_api.patch(ME, {"latitude": None, "longitude": None}, format="json")

    assert response.status_code == 200
    assert (response.json()["latitude"], response.json()["longitude"]) == (None, None)


def test_markup_in_the_address_is_cleaned(parent_api: APIClient) -> None:
    response = parent_api.patch(ME, {"address": "<b>12 Elm St</b><script>alert(1)</script>"}, format="json")

    assert response.json()["address"] == "12 Elm St"


ROUTES = [
    ("get", ME),
    ("patch", ME),
    ("get", CHILDREN),
    ("post", CHILDREN),
    ("get", f"{CHILDREN}/8a0c6c3e-3f64-4a4e-9a7e-2a8e4f0d5b11"),
    ("patch", f"{CHILDREN}/8a0c6c3e-3f64-4a4e-9a7e-2a8e4f0d5b11"),
    ("delete", f"{CHILDREN}/8a0c6c3e-3f64-4a4e-9a7e-2a8e4f0d5b11"),
    ("get", CONTACTS),
    ("post", CONTACTS),
    ("get", f"{CONTACTS}/8a0c6c3e-3f64-4a4e-9a7e-2a8e4f0d5b11"),
    ("patch", f"{CONTACTS}/8a0c6c3e-3f64-4a4e-9a7e-2a8e4f0d5b11"),
    ("delete", f"{CONTACTS}/8a0c6c3e-3f64-4a4e-9a7e-2a8e4f0d5b11"),
    ("get", FAVORITES),
    ("post", FAVORITES),
    ("delete", f"{FAVORITES}/8a0c6c3e-3f64-4a4e-9a7e-2a8e4f0d5b11"),
]


@pytest.mark.parametrize(("method", "url"), ROUTES)
@pytest.mark.parametrize("persona", ["sitter", "staff"])
def test_sitters_and_staff_get_403_on_every_parents_route(
    request: pytest.FixtureRequest, persona: str, method: str, url: str
) -> None:
    client = client_for(request.getfixturevalue(persona))

    assert_problem(getattr(client, method)(url, {}, format="json"), 403, "permission_denied")
    assert not ParentProfile.objects.exists()


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_callers_get_401(api: APIClient, method: str, url: str) -> None:
    assert_problem(getattr(api, method)(url, {}, format="json"), 401, "not_authenticated")
