"""``GET sitters/me/families``: the families who booked the sitter, first names only, and who rebooked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import ParentFactory
from accounts.tests.problems import assert_problem
from sitters.services.clients import client_booking_recorded
from sitters.tests.factories import SitterProfileFactory

URL = "/api/v1/sitters/me/families"
T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_sitter_sees_first_names_and_who_rebooked(
    sitter_api: APIClient, sitter: User, parent: User, other_parent: User, other_sitter: User
) -> None:
    # given: the parent booked twice, the other family once, and someone booked another sitter
    profile = SitterProfileFactory(user=sitter)
    client_booking_recorded(sitter_id=profile.pk, parent_id=parent.pk, booked_at=T0)
    client_booking_recorded(sitter_id=profile.pk, parent_id=parent.pk, booked_at=T0 + timedelta(days=1))
    client_booking_recorded(sitter_id=profile.pk, parent_id=other_parent.pk, booked_at=T0 + timedelta(days=2))
    elsewhere = SitterProfileFactory(user=other_sitter)
    stranger = ParentFactory()
    client_booking_recorded(sitter_id=elsewhere.pk, parent_id=stranger.pk, booked_at=T0)

    # when
    response = sitter_api.get(URL)

    # then: most recent first, no surnames or addresses
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [row["parent_id"] for row in results] == [str(other_parent.pk), str(parent.pk)]
    assert results[1] == {
        "parent_id": str(parent.pk),
        "first_name": parent.first_name,
        "bookings_count": 2,
        "first_booked_at": "2026-03-01T18:00:00Z",
        "last_booked_at": "2026-03-02T18:00:00Z",
        "rebooked": True,
    }
    assert results[0]["rebooked"] is False
    assert parent.last_name not in response.content.decode()

    rebooked = sitter_api.get(URL, {"rebooked": "true"}).json()["results"]
    assert [row["parent_id"] for row in rebooked] == [str(parent.pk)]
    once = sitter_api.get(URL, {"rebooked": "false"}).json()["results"]
    assert [row["parent_id"] for row in once] == [str(other_parent.pk)]


@pytest.mark.django_db
def test_pages_follow_the_cursor(sitter_api: APIClient, sitter: User) -> None:
    profile = SitterProfileFactory(user=sitter)
    for index in range(3):
        client_booking_recorded(
            sitter_id=profile.pk, parent_id=ParentFactory().pk, booked_at=T0 + timedelta(hours=index)
        )

    first = sitter_api.get(URL, {"page_size": 2}).json()
    second = sitter_api.get(first["next"]).json()

    assert len(first["results"]) == 2 and len(second["results"]) == 1
    assert second["next"] is None


@pytest.mark.django_db
def test_bad_filter_and_other_roles(sitter_api: APIClient, parent_api: APIClient, api: APIClient) -> None:
    body = assert_problem(sitter_api.get(URL, {"rebooked": "maybe"}), 400)
    assert "rebooked" in body["errors"]
    assert_problem(parent_api.get(URL), 403)
    assert_problem(api.get(URL), 401)
