"""POST conversations {booking_id}: the booking's parent and sitter open their one conversation; nobody else."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from bookings.tests.factories import World
from conftest import client_for
from messaging.models import Conversation
from messaging.services.conversations import conversation_start

pytestmark = pytest.mark.django_db


def test_the_parent_opens_the_bookings_conversation_and_a_repeat_returns_it(
    world: World, parent_api: APIClient, sitter_api: APIClient
) -> None:
    booking = world.book()

    first = parent_api.post("/api/v1/conversations", {"booking_id": str(booking.pk)}, format="json")
    again = parent_api.post("/api/v1/conversations", {"booking_id": str(booking.pk)}, format="json")
    from_sitter = sitter_api.post("/api/v1/conversations", {"booking_id": str(booking.pk)}, format="json")

    assert (first.status_code, again.status_code, from_sitter.status_code) == (201, 200, 200), first.content
    assert first.json()["id"] == again.json()["id"] == from_sitter.json()["id"]
    assert first.json()["booking_id"] == str(booking.pk)
    assert first.json()["participant"]["id"] == str(world.sitter.pk)
    assert from_sitter.json()["participant"]["id"] == str(world.parent.pk)
    conversation = Conversation.objects.get()
    assert (conversation.parent_id, conversation.sitter_id) == (world.parent.pk, world.sitter.pk)


def test_a_pair_already_talking_gets_their_conversation(world: World, parent_api: APIClient) -> None:
    existing, _ = conversation_start(actor=world.parent, participant_id=world.sitter.pk)

    response = parent_api.post("/api/v1/conversations", {"booking_id": str(world.book().pk)}, format="json")

    assert response.status_code == 200 and response.json()["id"] == str(existing.pk)
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize("who", ["other_parent", "other_sitter", "staff"])
def test_anyone_else_is_told_the_booking_does_not_exist(world: World, who: str, request: Any) -> None:
    booking = world.book()
    stranger: User = request.getfixturevalue(who)

    response = client_for(stranger).post("/api/v1/conversations", {"booking_id": str(booking.pk)}, format="json")

    assert_problem(response, 404, "not_found")
    assert not Conversation.objects.exists()
