"""CRUD parents/me/children: validated, cleaned, paginated, audited by field name only."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Child, User
from accounts.models.family import years_before
from accounts.services.family import MAX_CHILDREN
from accounts.tests.factories import ChildFactory
from accounts.tests.family_helpers import CHILDREN
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FIELDS = {"id", "first_name", "birth_date", "allergies", "medical_notes", "special_needs"}


def a_child(**overrides: object) -> dict[str, object]:
    return {
        "first_name": "Mia",
        "birth_date": str(years_before(timezone.localdate(), 6)),
        "allergies": "Peanuts",
        "medical_notes": "EpiPen in the blue backpack.\nCall us first.",
        "special_needs": "",
        **overrides,
    }


def test_create_read_update_delete(parent: User, parent_api: APIClient) -> None:
    created = parent_api.post(CHILDREN, a_child(), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == FIELDS
    assert {k: body[k] for k in FIELDS - {"id"}} == a_child()
    url = f"{CHILDREN}/{body['id']}"

    assert parent_api.get(url).json() == body

    patched = parent_api.patch(url, {"special_needs": "Naps at 1pm"}, format="json")
    assert patched.status_code == 200
    assert patched.json() == {**body, "special_needs": "Naps at 1pm"}

    assert parent_api.delete(url).status_code == 204
    assert_problem(parent_api.get(url), 404, "not_found")
    assert not Child.objects.filter(parent=parent).exists()


def test_only_name_and_birth_date_are_required(parent_api: APIClient) -> None:
    problem = assert_problem(parent_api.post(CHILDREN, {}, format="json"), 400, "invalid")
    assert set(problem["errors"]) == {"first_name", "birth_date"}

    response = parent_api.post(CHILDREN, {"first_name": "Leo", "birth_date": "2024-01-31"}, format="json")
    assert response.status_code == 201
    assert response.json()["medical_notes"] == ""


def test_the_list_is_paginated_oldest_first(parent: User, parent_api: APIClient) -> None:
    for name in ("Ann", "Ben", "Cal"):
        assert parent_api.post(CHILDREN, a_child(first_name=name), format="json").status_code == 201

    first = parent_api.get(CHILDREN, {"page_size": 2}).json()
    assert set(first) == {"results", "next", "previous"}
    assert [row["first_name"] for row in first["results"]] == ["Ann", "Ben"]
    second = parent_api.get(first["next"]).json()
    assert [row["first_name"] for row in second["results"]] == ["Cal"]
    assert second["next"] is None and second["previous"] is not None


def test_changes_are_audited_by_field_name_never_by_value(parent: User, parent_api: APIClient) -> None:
    child_id = parent_api.post(CHILDREN, a_child(), format="json").json()["id"]
    parent_api.patch(f"{CHILDREN}/{child_id}", {"medical_notes": "Now with asthma", "allergies": "Peanuts"})
    parent_api.delete(f"{CHILDREN}/{child_id}")

    events = AuditEvent.objects.filter(target_id=child_id).order_by("id")
    assert [(e.action, e.data, e.target_type, e.actor_id) for e in events] == [
        (
            "family.child_created",
            {"fields": ["allergies", "birth_date", "first_name", "medical_notes"]},
            "accounts.child",
            parent.pk,
        ),
        ("family.child_updated", {"fields": ["medical_notes"]}, "accounts.child", parent.pk),
        ("family.child_deleted", {}, "accounts.child", parent.pk),
    ]
    dumped = json.dumps([e.data for e in events])
    assert "Peanuts" not in dumped and "asthma" not in dumped and "Mia" not in dumped


@pytest.mark.parametrize(
    ("birth_date", "accepted"),
    [
        (lambda today: today, True),
        (lambda today: years_before(today, 18), True),
        (lambda today: today + datetime.timedelta(days=1), False),
        (lambda today: years_before(today, 18) - datetime.timedelta(days=1), False),
        (lambda today: datetime.date(1900, 1, 1), False),
    ],
)
def test_birth_date_is_not_in_the_future_nor_over_18_years_ago(
    parent: User, parent_api: APIClient, birth_date: object, accepted: bool
) -> None:
    day = birth_date(timezone.localdate())  # type: ignore[operator]

    response = parent_api.post(CHILDREN, a_child(birth_date=str(day)), format="json")

    if accepted:
        assert response.status_code == 201, response.content
    else:
        problem = assert_problem(response, 400, "invalid")
        assert list(problem["errors"]) == ["birth_date"]
        assert not Child.objects.filter(parent=parent).exists()


def test_patching_a_future_birth_date_changes_nothing(parent_api: APIClient, child: Child) -> None:
    future = str(timezone.localdate() + datetime.timedelta(days=30))

    problem = assert_problem(parent_api.patch(f"{CHILDREN}/{child.pk}", {"birth_date": future}), 400, "invalid")

    assert list(problem["errors"]) == ["birth_date"]
    assert Child.objects.get(pk=child.pk).birth_date == child.birth_date


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"medical_notes": "n" * 10_000}, "medical_notes"),
        ({"allergies": "a" * 2001}, "allergies"),
        ({"special_needs": "s" * 2001}, "special_needs"),
        ({"first_name": "<script>alert(1)</script>"}, "first_name"),
        ({"first_name": "Mia\nRose"}, "first_name"),
        ({"first_name": "M" * 101}, "first_name"),
        ({"birth_date": "31/01/2020"}, "birth_date"),
        ({"allergies": None}, "allergies"),
        ({"medical_notes": ["a", "list"]}, "medical_notes"),
        ({"medical_notes": "abc\u202edcba"}, "medical_notes"),
        ({"nickname": "Mimi"}, "nickname"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    parent: User, parent_api: APIClient, overrides: dict[str, object], field: str
) -> None:
    problem = assert_problem(parent_api.post(CHILDREN, a_child(**overrides), format="json"), 400, "invalid")

    assert list(problem["errors"]) == [field]
    assert not Child.objects.filter(parent=parent).exists()


def test_script_tags_are_cleaned_from_every_text_field(parent_api: APIClient) -> None:
    response = parent_api.post(
        CHILDREN,
        a_child(
            first_name="<b>Mia</b>",
            allergies='Peanuts<img src=x onerror="alert(1)">',
            medical_notes="<script>alert(1)</script>Inhaler",
            special_needs='<a href="javascript:alert(1)">Needs</a> quiet time',
        ),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["first_name"], body["allergies"], body["medical_notes"], body["special_needs"]) == (
        "Mia",
        "Peanuts",
        "Inhaler",
        "Needs quiet time",
    )
    stored = Child.objects.get(pk=body["id"])
    assert "<" not in stored.allergies + stored.medical_notes + stored.special_needs


def test_patching_the_id_is_ignored_and_unknown_fields_are_refused(
    parent: User, parent_api: APIClient, child: Child
) -> None:
    other = ChildFactory(parent=parent, first_name="Leo")
    url = f"{CHILDREN}/{child.pk}"

    response = parent_api.patch(url, {"id": str(other.pk), "first_name": "Mila"}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == str(child.pk)
    assert Child.objects.get(pk=other.pk).first_name == "Leo"

    problem = assert_problem(parent_api.patch(url, {"parent": "x", "first_name": "Zoe"}, format="json"), 400)
    assert list(problem["errors"]) == ["parent"]
    assert Child.objects.get(pk=child.pk).first_name == "Mila"


def test_malformed_json_is_a_400(parent_api: APIClient) -> None:
    response = parent_api.generic("POST", CHILDREN, '{"first_name": "Mia",', content_type="application/json")

    assert_problem(response, 400, "parse_error")


def test_a_family_lists_at_most_the_cap(parent: User, parent_api: APIClient) -> None:
    ChildFactory.create_batch(MAX_CHILDREN, parent=parent)

    assert_problem(parent_api.post(CHILDREN, a_child(), format="json"), 409, "too_many_children")
    assert Child.objects.filter(parent=parent).count() == MAX_CHILDREN
