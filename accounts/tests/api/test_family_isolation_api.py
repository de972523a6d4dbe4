"""Another family never reaches my children, contacts or favourites: 404 by id, absent from lists."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Child, EmergencyContact, FavoriteSitter, User
from accounts.tests.family_helpers import CHILDREN, CONTACTS, FAVORITES, ME
from accounts.tests.problems import assert_problem
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def intruder(other_parent: User) -> APIClient:
    return client_for(other_parent)


def test_my_child_is_not_found_by_another_parent(child: Child, intruder: APIClient) -> None:
    url = f"{CHILDREN}/{child.pk}"

    assert_problem(intruder.get(url), 404, "not_found")
    assert_problem(intruder.patch(url, {"medical_notes": "overwritten"}, format="json"), 404, "not_found")
    assert_problem(intruder.patch(url, {"birth_date": "not a date"}, format="json"), 404, "not_found")
    assert_problem(intruder.delete(url), 404, "not_found")
    assert intruder.get(CHILDREN).json()["results"] == []

    stored = Child.objects.get(pk=child.pk)
    assert (stored.medical_notes, stored.updated_at) == (child.medical_notes, child.updated_at)


def test_my_contact_is_not_found_by_another_parent(contact: EmergencyContact, intruder: APIClient) -> None:
    url = f"{CONTACTS}/{contact.pk}"

    assert_problem(intruder.get(url), 404, "not_found")
    assert_problem(intruder.patch(url, {"phone": "+14155550999"}, format="json"), 404, "not_found")
    assert_problem(intruder.delete(url), 404, "not_found")
    assert intruder.get(CONTACTS).json()["results"] == []

    assert EmergencyContact.objects.get(pk=contact.pk).phone == contact.phone


def test_my_favourite_is_not_found_by_another_parent(favorite: FavoriteSitter, intruder: APIClient) -> None:
    url = f"{FAVORITES}/{favorite.sitter_id}"

    assert_problem(intruder.delete(url), 404, "not_found")
    assert intruder.get(FAVORITES).json()["results"] == []
    assert FavoriteSitter.objects.filter(pk=favorite.pk).exists()


def test_another_parent_sees_their_own_profile_not_mine(parent_api: APIClient, intruder: APIClient) -> None:
    parent_api.patch(ME, {"address": "12 Elm Street", "phone": "+14155550100"}, format="json")

    assert intruder.get(ME).json()["address"] == ""
    intruder.patch(ME, {"address": "1 Other Road"}, format="json")
    assert parent_api.get(ME).json()["address"] == "12 Elm Street"


def test_lists_show_only_my_rows(
    parent: User, parent_api: APIClient, child: Child, contact: EmergencyContact, favorite: FavoriteSitter
) -> None:
    from accounts.tests.factories import ChildFactory, EmergencyContactFactory, FavoriteSitterFactory

    ChildFactory()
    EmergencyContactFactory()
    FavoriteSitterFactory()

    assert [row["id"] for row in parent_api.get(CHILDREN).json()["results"]] == [str(child.pk)]
    assert [row["id"] for row in parent_api.get(CONTACTS).json()["results"]] == [str(contact.pk)]
    assert [row["sitter_id"] for row in parent_api.get(FAVORITES).json()["results"]] == [str(favorite.sitter_id)]
