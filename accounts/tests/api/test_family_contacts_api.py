"""CRUD parents/me/emergency-contacts: E.164 phones, priorities 1-10 unique per family (409 on a clash)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import EmergencyContact, User
from accounts.tests.factories import EmergencyContactFactory
from accounts.tests.family_helpers import CONTACTS
from accounts.tests.problems import assert_problem
from conftest import client_for, race
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

GRACE = {"name": "Grace Hopper", "phone": "+14155550111", "relationship": "Grandmother", "priority": 1}


def test_create_read_update_delete(parent: User, parent_api: APIClient) -> None:
    created = parent_api.post(CONTACTS, GRACE, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body == {"id": body["id"], **GRACE}
    url = f"{CONTACTS}/{body['id']}"

    assert parent_api.get(url).json() == body
    patched = parent_api.patch(url, {"phone": "+1 415 555 0199", "priority": 2}, format="json")
    assert patched.json() == {**body, "phone": "+14155550199", "priority": 2}
    assert parent_api.delete(url).status_code == 204
    assert_problem(parent_api.get(url), 404, "not_found")
    assert not EmergencyContact.objects.filter(parent=parent).exists()


def test_the_list_is_ordered_by_priority(parent_api: APIClient) -> None:
    for priority, name in ((3, "Third"), (1, "First"), (2, "Second")):
        parent_api.post(CONTACTS, {**GRACE, "name": name, "priority": priority}, format="json")

    body = parent_api.get(CONTACTS).json()

    assert set(body) == {"results", "next", "previous"}
    assert [row["name"] for row in body["results"]] == ["First", "Second", "Third"]


def test_without_a_priority_the_first_free_one_is_taken(parent: User, parent_api: APIClient) -> None:
    EmergencyContactFactory(parent=parent, priority=1)
    EmergencyContactFactory(parent=parent, priority=3)
    contact = {key: value for key, value in GRACE.items() if key != "priority"}

    assert parent_api.post(CONTACTS, contact, format="json").json()["priority"] == 2
    assert parent_api.post(CONTACTS, contact, format="json").json()["priority"] == 4


def test_a_taken_priority_is_a_409_naming_priority(parent: User, parent_api: APIClient) -> None:
    first = parent_api.post(CONTACTS, GRACE, format="json").json()
    second = parent_api.post(CONTACTS, {**GRACE, "priority": 2}, format="json").json()

    problem = assert_problem(parent_api.post(CONTACTS, {**GRACE, "name": "Ada"}, format="json"), 409, "priority_taken")
    assert list(problem["errors"]) == ["priority"]
    problem = assert_problem(
        parent_api.patch(f"{CONTACTS}/{second['id']}", {"priority": 1}, format="json"), 409, "priority_taken"
    )
    assert list(problem["errors"]) == ["priority"]

    assert sorted(EmergencyContact.objects.filter(parent=parent).values_list("priority", flat=True)) == [1, 2]
    # Keeping its own priority is no clash.
    assert parent_api.patch(f"{CONTACTS}/{first['id']}", {"priority": 1, "name": "G."}).status_code == 200


def test_another_family_may_use_the_same_priority(contact: EmergencyContact, other_parent: User) -> None:
    response = client_for(other_parent).post(CONTACTS, GRACE, format="json")

    assert response.status_code == 201


def test_when_every_priority_is_taken_a_new_contact_is_a_409(parent: User, parent_api: APIClient) -> None:
    for priority in range(1, 11):
        EmergencyContactFactory(parent=parent, priority=priority)
    contact = {key: value for key, value in GRACE.items() if key != "priority"}

    assert_problem(parent_api.post(CONTACTS, contact, format="json"), 409, "priority_taken")
    assert EmergencyContact.objects.filter(parent=parent).count() == 10


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"priority": 0}, "priority"),
        ({"priority": 11}, "priority"),
        ({"priority": "first"}, "priority"),
        ({"phone": "0301234567"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"name": ""}, "name"),
        ({"name": "<script>alert(1)</script>"}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"relationship": "Aunt\nand neighbour"}, "relationship"),
        ({"email": "grace@example.com"}, "email"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    parent: User, parent_api: APIClient, overrides: dict[str, Any], field: str
) -> None:
    problem = assert_problem(parent_api.post(CONTACTS, {**GRACE, **overrides}, format="json"), 400, "invalid")

    assert list(problem["errors"]) == [field]
    assert not EmergencyContact.objects.filter(parent=parent).exists()


def test_markup_is_cleaned_from_name_and_relationship(parent_api: APIClient) -> None:
    body = {**GRACE, "name": "<i>Grace</i> Hopper", "relationship": "<img src=x onerror=alert(1)>Grandma"}

    response = parent_api.post(CONTACTS, body, format="json")

    assert (response.json()["name"], response.json()["relationship"]) == ("Grace Hopper", "Grandma")


def test_changes_are_audited_by_field_name_never_by_value(parent: User, parent_api: APIClient) -> None:
    contact_id = parent_api.post(CONTACTS, GRACE, format="json").json()["id"]
    parent_api.patch(f"{CONTACTS}/{contact_id}", {"phone": "+14155550199"}, format="json")
    parent_api.delete(f"{CONTACTS}/{contact_id}")

    events = AuditEvent.objects.filter(target_id=contact_id).order_by("id")
    assert [(e.action, e.data) for e in events] == [
        ("family.contact_created", {"fields": ["name", "phone", "priority", "relationship"]}),
        ("family.contact_updated", {"fields": ["phone"]}),
        ("family.contact_deleted", {}),
    ]
    assert all(e.actor_id == parent.pk for e in events)
    assert "Grace" not in json.dumps([e.data for e in events])


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_priority_make_one_contact(parent: User) -> None:
    clients = [client_for(parent) for _ in range(5)]
    attempts = iter(clients)

    results = race(5, lambda: next(attempts).post(CONTACTS, GRACE, format="json").status_code)

    assert sorted(results) == [201, 409, 409, 409, 409]  # type: ignore[type-var]
    assert EmergencyContact.objects.filter(parent=parent).count() == 1
