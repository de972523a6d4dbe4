"""Through HTTP: the sitter sees the family's address and health notes only in the booking's window.

No controlled clock is installed (neither time-machine nor freezegun is in
the requirements): bookings are made relative to now, and moved where the
clock would have taken them. The exact edges are in
``tests/selectors/test_family_window.py``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Child, ParentProfile, User
from bookings.models import Booking
from bookings.tests.factories import World, confirmed_soon, moved
from conftest import client_for

pytestmark = pytest.mark.django_db
SECRETS = ("Linienstrasse 7", "Peanuts", "EpiPen in the bag", "Naps at one")


@pytest.fixture
def private(world: World) -> World:
    profile = ParentProfile.objects.get(user=world.parent)
    profile.address = "Linienstrasse 7, 10178 Berlin"
    profile.save()
    child = Child.objects.get(pk=world.child.pk)
    child.allergies, child.medical_notes, child.special_needs = "Peanuts", "EpiPen in the bag", "Naps at one"
    child.save()
    return world


def shows_nothing_private(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


def test_inside_the_window_the_sitter_sees_the_family_and_the_family_sees_the_read(
    private: World, sitter_api: APIClient, parent_api: APIClient
) -> None:
    booking = confirmed_soon(private, minutes=90)  # starts in 1.5 h: the window is open

    response = sitter_api.get(f"/api/v1/bookings/{booking.pk}")

    assert response.status_code == 200, response.content
    family = response.json()["family"]
    assert family["address"] == "Linienstrasse 7, 10178 Berlin"
    assert family["children"] == [
        {
            "id": str(private.child.pk),
            "first_name": private.child.first_name,
            "allergies": "Peanuts",
            "medical_notes": "EpiPen in the bag",
            "special_needs": "Naps at one",
        }
    ]
    events = parent_api.get("/api/v1/security/events").json()["results"]
    reads = [(e["action"], e["by"]) for e in events if e["action"].startswith("family.")]
    assert sorted(reads) == [("family.address_read", "someone_else"), ("family.medical_notes_read", "someone_else")]


def test_before_the_window_the_details_are_in_no_answer(private: World, sitter_api: APIClient) -> None:
    booking = confirmed_soon(private, minutes=3 * 60)  # starts in 3 h: opens in 1 h

    detail = sitter_api.get(f"/api/v1/bookings/{booking.pk}")
    listed = sitter_api.get("/api/v1/bookings")

    assert detail.json()["family"] is None
    assert shows_nothing_private(detail.content.decode()) and shows_nothing_private(listed.content.decode())


def test_after_the_end_the_details_are_gone(private: World, sitter_api: APIClient, parent_api: APIClient) -> None:
    booking = moved(confirmed_soon(private, minutes=90), starts_at=timezone.now() - timedelta(hours=3))

    detail = sitter_api.get(f"/api/v1/bookings/{booking.pk}")

    assert detail.json()["family"] is None and shows_nothing_private(detail.content.decode())
    events = parent_api.get("/api/v1/security/events").json()["results"]
    assert not [e for e in events if e["action"].startswith("family.")]


def test_inside_the_window_only_the_detail_carries_them(private: World, sitter_api: APIClient) -> None:
    booking = confirmed_soon(private, minutes=30)

    for response in (
        sitter_api.get("/api/v1/bookings"),
        sitter_api.get("/api/v1/bookings?status=confirmed"),
        sitter_api.post(f"/api/v1/bookings/{booking.pk}/accept"),
    ):
        assert response.status_code == 200 and shows_nothing_private(response.content.decode())


def test_the_parent_and_other_sitters_never_get_them(private: World, parent_api: APIClient, other_sitter: User) -> None:
    booking: Booking = confirmed_soon(private, minutes=30)

    assert parent_api.get(f"/api/v1/bookings/{booking.pk}").json()["family"] is None
    assert client_for(other_sitter).get(f"/api/v1/bookings/{booking.pk}").status_code == 404
