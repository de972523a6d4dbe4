"""The family's GDPR contributions: the export holds everything decrypted; erasure leaves nothing personal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Child, EmergencyContact, FavoriteSitter, ParentProfile, User
from accounts.tests.factories import (
    ChildFactory,
    EmergencyContactFactory,
    FavoriteSitterFactory,
    ParentProfileFactory,
)
from accounts.tests.family_helpers import raw_columns
from guardiannest.registries import gdpr_erasers, gdpr_exporters

pytestmark = pytest.mark.django_db


def exporter() -> Any:
    return dict(gdpr_exporters.items())["family"]


def eraser() -> Any:
    return dict(gdpr_erasers.items())["family"]


@pytest.fixture
def family(parent: User, sitter: User) -> dict[str, Any]:
    return {
        "profile": ParentProfileFactory(
            user=parent, address="12 Elm Street", latitude=Decimal("52.5"), longitude=Decimal("13.4")
        ),
        "child": ChildFactory(parent=parent, first_name="Mia", birth_date="2020-05-01"),
        "contact": EmergencyContactFactory(parent=parent, name="Grace Hopper"),
        "favorite": FavoriteSitterFactory(parent=parent, sitter=sitter),
    }


def test_the_export_holds_the_family_decrypted(parent: User, sitter: User, family: dict[str, Any]) -> None:
    exported = exporter()(parent)

    assert exported["profile"] == {
        "address": "12 Elm Street",
        "latitude": "52.500000",
        "longitude": "13.400000",
        "phone": "+14155550100",
    }
    assert exported["children"] == [
        {
            "id": str(family["child"].pk),
            "first_name": "Mia",
            "birth_date": "2020-05-01",
            "allergies": "Peanuts",
            "medical_notes": "Inhaler in the red bag",
            "special_needs": "",
        }
    ]
    assert exported["emergency_contacts"] == [
        {
            "id": str(family["contact"].pk),
            "name": "Grace Hopper",
            "phone": "+14155550111",
            "relationship": "Grandmother",
            "priority": 1,
        }
    ]
    assert exported["favorite_sitters"] == [str(sitter.pk)]


def test_the_export_of_someone_without_a_family_is_empty(sitter: User) -> None:
    assert exporter()(sitter) == {"profile": None, "children": [], "emergency_contacts": [], "favorite_sitters": []}


def test_erasure_removes_the_family_and_blanks_the_profile(parent: User, family: dict[str, Any]) -> None:
    eraser()(parent)

    assert not Child.objects.filter(parent=parent).exists()
    assert not EmergencyContact.objects.filter(parent=parent).exists()
    assert not FavoriteSitter.objects.filter(parent=parent).exists()
    assert raw_columns("accounts_parentprofile", family["profile"].pk, "address", "phone", "latitude") == ("", "", None)
    assert exporter()(parent)["profile"] == {"address": "", "latitude": None, "longitude": None, "phone": ""}


def test_erasure_leaves_other_families_alone(parent: User, other_parent: User, family: dict[str, Any]) -> None:
    theirs = ChildFactory(parent=other_parent)
    ParentProfileFactory(user=other_parent, address="1 Other Road")

    eraser()(parent)

    assert Child.objects.filter(pk=theirs.pk).exists()
    assert ParentProfile.objects.get(user=other_parent).address == "1 Other Road"


def test_erasing_a_sitter_removes_them_from_favourites(parent: User, sitter: User, family: dict[str, Any]) -> None:
    eraser()(sitter)

    assert not FavoriteSitter.objects.filter(sitter=sitter).exists()
    assert Child.objects.filter(parent=parent).exists()


def test_erasing_twice_is_harmless(parent: User, family: dict[str, Any]) -> None:
    eraser()(parent)
    eraser()(parent)

    assert ParentProfile.objects.filter(user=parent).count() == 1
