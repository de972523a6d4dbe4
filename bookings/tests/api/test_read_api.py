"""GET bookings and GET bookings/{id}: own bookings only, filtered by status, in a fixed number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from bookings.services import booking_accept, booking_decline
from bookings.tests.factories import World, berlin
from conftest import client_for

pytestmark = pytest.mark.django_db


def test_each_party_lists_their_own_bookings_with_payment_status(
    world: World, parent_api: APIClient, sitter_api: APIClient, other_parent: User
) -> None:
    accepted = booking_accept(booking_id=world.book().pk, actor=world.sitter)
    world.book(start=berlin(15))

    mine = parent_api.get("/api/v1/bookings").json()["results"]
    theirs = sitter_api.get("/api/v1/bookings").json()["results"]

    assert {row["id"] for row in mine} == {row["id"] for row in theirs}
    assert len(mine) == 2
    by_id = {row["id"]: row for row in mine}
    assert by_id[str(accepted.pk)]["payment_status"] == "authorised"
    assert client_for(other_parent).get("/api/v1/bookings").json()["results"] == []


def test_the_list_filters_by_status(world: World, parent_api: APIClient) -> None:
    declined = booking_decline(booking_id=world.book().pk, actor=world.sitter)
    world.book(start=berlin(15))

    rows = parent_api.get("/api/v1/bookings?status=declined").json()["results"]

    assert [row["id"] for row in rows] == [str(declined.pk)]
    assert_problem(parent_api.get("/api/v1/bookings?status=nonsense"), 400, "invalid")


def test_the_lists_queries_do_not_grow_with_the_page(world: World, parent_api: APIClient) -> None:
    def queries_for(count: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = parent_api.get(f"/api/v1/bookings?page_size={count}")
        assert len(response.json()["results"]) == count
        return len(captured)

    for hour in range(8, 14):
        booking_accept(booking_id=world.book(start=berlin(hour, days=4), hours=1).pk, actor=world.sitter)
    queries_for(1)  # keeps the caller's authentication snapshot: the counts below are the list's own

    assert queries_for(2) == queries_for(6)


def test_a_booking_is_not_found_for_anyone_else(world: World, parent_api: APIClient, other_parent: User) -> None:
    booking = world.book()

    assert parent_api.get(f"/api/v1/bookings/{booking.pk}").json()["id"] == str(booking.pk)
    assert_problem(client_for(other_parent).get(f"/api/v1/bookings/{booking.pk}"), 404, "not_found")


def test_the_detail_shows_start_and_end_in_the_sitters_time_zone(world: World, parent_api: APIClient) -> Any:
    booking = world.book(start=berlin(10))

    body = parent_api.get(f"/api/v1/bookings/{booking.pk}").json()

    assert body["start"].endswith(("+01:00", "+02:00"))
    assert body["start"][11:16] == "10:00"
