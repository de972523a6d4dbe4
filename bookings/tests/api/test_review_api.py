"""The family reviews the sitter once the booking is completed; the sitter answers once (API.md, Bookings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from bookings.tests.factories import World, completed, confirmed_soon
from conftest import client_for
from guardiannest.audit.models import AuditEvent
from sitters.models import Review, SitterProfile

pytestmark = pytest.mark.django_db


def review(api: APIClient, booking_id: object, **body: object) -> Any:
    return api.post(f"/api/v1/bookings/{booking_id}/review", body, format="json")


def test_the_parent_reviews_a_completed_booking_and_the_rating_follows(world: World, parent_api: APIClient) -> None:
    booking = completed(world)

    response = review(parent_api, booking.pk, rating=5, comment="<b>Wonderful</b> with Mia<script>x</script>")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rating"], body["booking_id"], body["reply"]) == (5, str(booking.pk), "")
    assert "<" not in body["comment"] and "Wonderful" in body["comment"]
    profile = SitterProfile.objects.get(user=world.sitter)
    assert (profile.rating_avg, profile.rating_count) == (Decimal("5.00"), 1)
    assert Review.objects.get(booking_id=booking.pk).flagged is False
    listed = parent_api.get(f"/api/v1/sitters/{world.sitter.pk}/reviews").json()["results"]
    assert [(r["id"], r["rating"]) for r in listed] == [(body["id"], 5)]


def test_a_review_before_completion_is_refused(world: World, parent_api: APIClient) -> None:
    booking = confirmed_soon(world)

    assert_problem(review(parent_api, booking.pk, rating=4), 409, "booking_not_completed")
    assert not Review.objects.exists()


def test_a_second_review_is_refused_and_changes_nothing(world: World, parent_api: APIClient) -> None:
    booking = completed(world)
    review(parent_api, booking.pk, rating=2, comment="Late")

    assert_problem(review(parent_api, booking.pk, rating=5), 409, "review_exists")
    profile = SitterProfile.objects.get(user=world.sitter)
    assert (profile.rating_avg, profile.rating_count) == (Decimal("2.00"), 1)


@pytest.mark.parametrize("rating", [0, 6, "five", None])
def test_a_rating_outside_1_to_5_names_rating(world: World, parent_api: APIClient, rating: object) -> None:
    booking = completed(world)

    response = review(parent_api, booking.pk, rating=rating)

    assert_problem(response, 400)
    assert "rating" in response.json()["errors"]
    assert not Review.objects.exists()


def test_another_familys_booking_is_not_found(world: World, other_parent: User) -> None:
    booking = completed(world)

    assert_problem(review(client_for(other_parent), booking.pk, rating=5), 404, "not_found")


def test_the_sitter_cannot_review_their_own_booking(world: World, sitter_api: APIClient) -> None:
    booking = completed(world)

    assert_problem(review(sitter_api, booking.pk, rating=5), 403, "not_a_parent")


def test_a_low_review_is_flagged_for_staff(world: World, parent_api: APIClient, staff_client: Client) -> None:
    booking = completed(world)

    review(parent_api, booking.pk, rating=3, comment="Forgot the bedtime routine")

    flagged = Review.objects.get(booking_id=booking.pk)
    assert flagged.flagged is True
    page = staff_client.get(reverse("admin:sitters_review_changelist") + "?flagged__exact=1")
    assert page.status_code == 200 and str(flagged.pk) in page.content.decode()
    unflagged = staff_client.get(reverse("admin:sitters_review_changelist") + "?flagged__exact=0")
    assert str(flagged.pk) not in unflagged.content.decode()


def test_the_sitter_replies_once(world: World, parent_api: APIClient, sitter_api: APIClient) -> None:
    booking = completed(world)
    review(parent_api, booking.pk, rating=4, comment="Good")
    url = f"/api/v1/bookings/{booking.pk}/review/reply"

    response = sitter_api.post(url, {"comment": "Thank you, <i>see you soon</i>"}, format="json")
    again = sitter_api.post(url, {"comment": "Another"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["reply"] == "Thank you, see you soon"
    assert_problem(again, 409, "review_reply_exists")
    assert Review.objects.get(booking_id=booking.pk).reply == "Thank you, see you soon"
    listed = parent_api.get(f"/api/v1/sitters/{world.sitter.pk}/reviews").json()["results"]
    assert listed[0]["reply"] == "Thank you, see you soon" and listed[0]["replied_at"]
    assert AuditEvent.objects.filter(action="sitter.review_replied", actor_id=world.sitter.pk).count() == 1


def test_a_reply_needs_a_review_and_the_sitter(world: World, parent_api: APIClient, sitter_api: APIClient) -> None:
    booking = completed(world)
    url = f"/api/v1/bookings/{booking.pk}/review/reply"

    assert_problem(sitter_api.post(url, {"comment": "Hi"}, format="json"), 409, "booking_not_reviewed")
    review(parent_api, booking.pk, rating=5)
    assert_problem(parent_api.post(url, {"comment": "Hi"}, format="json"), 403, "not_the_sitter")
    assert_problem(sitter_api.post(url, {"comment": ""}, format="json"), 400)
