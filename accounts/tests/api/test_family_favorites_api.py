"""parents/me/favorites: only active sitters, a repeat is harmless, removing a non-favourite is a 404."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from accounts.models import FavoriteSitter, User
from accounts.tests.factories import SitterFactory
from accounts.tests.family_helpers import FAVORITES
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_add_list_and_remove(parent: User, parent_api: APIClient, sitter: User) -> None:
    added = parent_api.post(FAVORITES, {"sitter_id": str(sitter.pk)}, format="json")

    assert added.status_code == 201, added.content
    body = added.json()
    assert (body["sitter_id"], body["first_name"]) == (str(sitter.pk), sitter.first_name)
    assert set(body) == {"sitter_id", "first_name", "created_at"}
    listed = parent_api.get(FAVORITES).json()
    assert set(listed) == {"results", "next", "previous"}
    assert listed["results"] == [body]

    assert parent_api.delete(f"{FAVORITES}/{sitter.pk}").status_code == 204
    assert parent_api.get(FAVORITES).json()["results"] == []
    assert_problem(parent_api.delete(f"{FAVORITES}/{sitter.pk}"), 404, "not_found")


def test_adding_twice_is_harmless(parent: User, parent_api: APIClient, sitter: User) -> None:
    first = parent_api.post(FAVORITES, {"sitter_id": str(sitter.pk)}, format="json")

    again = parent_api.post(FAVORITES, {"sitter_id": str(sitter.pk)}, format="json")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert FavoriteSitter.objects.filter(parent=parent).count() == 1
    assert AuditEvent.objects.filter(action="family.favorite_added").count() == 1


@pytest.mark.parametrize("who", ["other_parent", "staff", "inactive_sitter", "nobody"])
def test_only_an_active_sitter_can_be_a_favourite(
    request: pytest.FixtureRequest, parent: User, parent_api: APIClient, who: str
) -> None:
    if who == "inactive_sitter":
        target_id = SitterFactory(is_active=False).pk
    elif who == "nobody":
        target_id = uuid.uuid4()
    else:
        target_id = request.getfixturevalue(who).pk

    problem = assert_problem(parent_api.post(FAVORITES, {"sitter_id": str(target_id)}, format="json"), 400)

    assert list(problem["errors"]) == ["sitter_id"]
    assert not FavoriteSitter.objects.exists()


@pytest.mark.parametrize("body", [{"sitter_id": "not-a-uuid"}, {}, {"sitter_id": None}, {"sitter": "x"}])
def test_malformed_input_is_a_400(parent_api: APIClient, body: dict[str, object]) -> None:
    assert_problem(parent_api.post(FAVORITES, body, format="json"), 400, "invalid")
    assert not FavoriteSitter.objects.exists()


def test_removing_a_sitter_who_is_not_a_favourite_is_a_404(parent_api: APIClient, sitter: User) -> None:
    assert_problem(parent_api.delete(f"{FAVORITES}/{sitter.pk}"), 404, "not_found")


def test_a_deactivated_sitter_drops_out_of_the_list(
    parent: User, parent_api: APIClient, sitter: User, other_sitter: User
) -> None:
    for someone in (sitter, other_sitter):
        parent_api.post(FAVORITES, {"sitter_id": str(someone.pk)}, format="json")
    User.objects.filter(pk=sitter.pk).update(is_active=False)

    listed = parent_api.get(FAVORITES).json()["results"]

    assert [row["sitter_id"] for row in listed] == [str(other_sitter.pk)]


def test_adding_and_removing_are_audited(parent: User, parent_api: APIClient, sitter: User) -> None:
    parent_api.post(FAVORITES, {"sitter_id": str(sitter.pk)}, format="json")
    favorite_id = str(FavoriteSitter.objects.get().pk)
    parent_api.delete(f"{FAVORITES}/{sitter.pk}")

    events = AuditEvent.objects.filter(target_id=favorite_id).order_by("id")
    assert [(e.action, e.actor_id, e.data) for e in events] == [
        ("family.favorite_added", parent.pk, {}),
        ("family.favorite_removed", parent.pk, {}),
    ]
