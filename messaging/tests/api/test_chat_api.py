"""The chat API: conversations, history, sending, read receipts; isolation, bad input and floods."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import SitterFactory
from accounts.tests.problems import assert_problem
from conftest import client_for
from guardiannest.api.parsers import JSONObject
from messaging.api.chat import MessageSendSerializer, _message_input
from messaging.models import Conversation, Message
from messaging.services.chat import message_send
from messaging.services.conversations import conversation_start
from messaging.tests.chat_helpers import messages_url, read_url, send

pytestmark = pytest.mark.django_db

CONVERSATION_KEYS = {
    "id",
    "participant",
    "booking_id",
    "created_at",
    "last_message_at",
    "last_message",
    "unread_count",
    "last_read_message_id",
    "last_read_at",
    "participant_last_read_message_id",
    "participant_last_read_at",
}


# --- starting a conversation --------------------------------------------------------------------


def test_the_first_post_makes_the_conversation_a_repeat_returns_it(
    parent_api: APIClient, sitter_api: APIClient, parent: User, sitter: User
) -> None:
    first = parent_api.post("/api/v1/conversations", {"participant_id": str(sitter.pk)}, format="json")
    again = parent_api.post("/api/v1/conversations", {"participant_id": str(sitter.pk)}, format="json")
    from_sitter = sitter_api.post("/api/v1/conversations", {"participant_id": str(parent.pk)}, format="json")

    assert (first.status_code, again.status_code, from_sitter.status_code) == (201, 200, 200)
    body = first.json()
    assert set(body) == CONVERSATION_KEYS
    assert body["id"] == again.json()["id"] == from_sitter.json()["id"]
    assert body["participant"] == {"id": str(sitter.pk), "first_name": sitter.first_name, "role": "sitter"}
    assert from_sitter.json()["participant"] == {
        "id": str(parent.pk),
        "first_name": parent.first_name,
        "role": "parent",
    }
    assert body["last_message"] is None and body["unread_count"] == 0
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize("who", ["other_parent", "self", "staff", "unknown", "inactive"])
def test_anything_but_a_parent_sitter_pair_is_400_naming_participant_id(
    request: pytest.FixtureRequest, parent_api: APIClient, parent: User, who: str
) -> None:
    participant_id = {
        "other_parent": lambda: request.getfixturevalue("other_parent").pk,
        "self": lambda: parent.pk,
        "staff": lambda: request.getfixturevalue("staff").pk,
        "unknown": uuid.uuid4,
        "inactive": lambda: SitterFactory(is_active=False).pk,
    }[who]()

    response = parent_api.post("/api/v1/conversations", {"participant_id": str(participant_id)}, format="json")

    assert "participant_id" in assert_problem(response, 400, "invalid_participant")["errors"]
    assert not Conversation.objects.exists()


def test_sitters_cannot_start_with_sitters_and_staff_not_at_all(
    sitter_api: APIClient, staff_api: APIClient, other_sitter: User, parent: User
) -> None:
    for client, other in ((sitter_api, other_sitter), (staff_api, parent)):
        response = client.post("/api/v1/conversations", {"participant_id": str(other.pk)}, format="json")
        assert_problem(response, 400, "invalid_participant")
    assert not Conversation.objects.exists()


def test_an_unknown_booking_is_not_found(parent_api: APIClient) -> None:
    """The booking's own app answers who its parties are (bookings/tests/api/test_conversations_api.py)."""
    response = parent_api.post("/api/v1/conversations", {"booking_id": str(uuid.uuid4())}, format="json")

    assert_problem(response, 404, "not_found")
    assert not Conversation.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{}, {"participant_id": "not-a-uuid"}, {"participant_id": None}, {"participant_id": 1, "booking_id": 2}],
)
def test_malformed_starts_are_400(parent_api: APIClient, sitter: User, payload: dict[str, Any]) -> None:
    both = {"participant_id": str(sitter.pk), "booking_id": str(uuid.uuid4())}
    assert_problem(parent_api.post("/api/v1/conversations", payload, format="json"), 400, "invalid")
    assert_problem(parent_api.post("/api/v1/conversations", both, format="json"), 400, "invalid")
    extra = {"participant_id": str(sitter.pk), "role": "staff"}
    assert_problem(parent_api.post("/api/v1/conversations", extra, format="json"), 400, "invalid")
    assert not Conversation.objects.exists()


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_the_other_person_a_preview_and_unread_counts(
    parent_api: APIClient, sitter_api: APIClient, conversation: Conversation, parent: User, sitter: User
) -> None:
    send(parent_api, conversation, "Hello")
    send(sitter_api, conversation, "Hi! " + "x" * 200)
    last = send(sitter_api, conversation, "Venmo is easier for me").json()

    (mine,) = parent_api.get("/api/v1/conversations").json()["results"]
    (theirs,) = sitter_api.get("/api/v1/conversations").json()["results"]

    assert mine["participant"]["id"] == str(sitter.pk) and theirs["participant"]["id"] == str(parent.pk)
    assert mine["unread_count"] == 2 and theirs["unread_count"] == 1
    assert mine["last_message"]["id"] == last["id"] and mine["last_message"]["preview"] == "Venmo is easier for me"
    assert mine["last_message"]["safety_warning"]["code"] == "off_platform_payment"
    assert mine["last_message_at"] == last["created_at"]


def test_reading_clears_the_unread_count_and_shows_as_a_receipt(
    parent_api: APIClient, sitter_api: APIClient, conversation: Conversation
) -> None:
    first = send(sitter_api, conversation, "one").json()
    second = send(sitter_api, conversation, "two").json()

    response = parent_api.post(read_url(conversation), {"message_id": first["id"]}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == CONVERSATION_KEYS
    assert response.json()["unread_count"] == 1 and response.json()["last_read_message_id"] == first["id"]

    parent_api.post(read_url(conversation), {"message_id": second["id"]}, format="json")
    backwards = parent_api.post(read_url(conversation), {"message_id": first["id"]}, format="json")
    assert backwards.status_code == 200
    assert backwards.json()["unread_count"] == 0 and backwards.json()["last_read_message_id"] == second["id"]
    seen_by_sitter = sitter_api.get(f"/api/v1/conversations/{conversation.pk}").json()
    assert seen_by_sitter["participant_last_read_message_id"] == second["id"]
    assert seen_by_sitter["last_read_message_id"] is None


@pytest.mark.parametrize("payload", [{}, {"message_id": "1"}, {"message_id": None}, {"message_id": "x", "at": 1}])
def test_malformed_read_receipts_are_400(
    parent_api: APIClient, conversation: Conversation, payload: dict[str, Any]
) -> None:
    assert_problem(parent_api.post(read_url(conversation), payload, format="json"), 400, "invalid")
    assert Conversation.objects.get(pk=conversation.pk).parent_last_read_at is None


@pytest.mark.parametrize("message_id", ["elsewhere", "unknown"])
def test_a_read_receipt_for_a_message_of_another_conversation_is_400(
    parent_api: APIClient, conversation: Conversation, parent: User, other_sitter: User, message_id: str
) -> None:
    elsewhere, _ = conversation_start(actor=parent, participant_id=other_sitter.pk)
    foreign = message_send(conversation=elsewhere, sender=other_sitter, body="hi")
    sent_id = str(foreign.pk) if message_id == "elsewhere" else str(uuid.uuid4())

    response = parent_api.post(read_url(conversation), {"message_id": sent_id}, format="json")

    assert "message_id" in assert_problem(response, 400, "unknown_message")["errors"]
    assert Conversation.objects.get(pk=conversation.pk).parent_last_read_message_id is None


def test_the_list_is_most_recent_first_and_paginated(parent: User, parent_api: APIClient) -> None:
    sitters = [SitterFactory() for _ in range(3)]
    conversations = [conversation_start(actor=parent, participant_id=sitter.pk)[0] for sitter in sitters]
    message_send(conversation=conversations[0], sender=sitters[0], body="latest")

    first_page = parent_api.get("/api/v1/conversations?page_size=2").json()
    second_page = parent_api.get(first_page["next"]).json()

    ids = [item["id"] for item in first_page["results"] + second_page["results"]]
    assert ids == [str(conversations[0].pk), str(conversations[2].pk), str(conversations[1].pk)]
    assert second_page["next"] is None


@pytest.mark.parametrize("count", [1, 12])
def test_the_list_costs_the_same_queries_for_one_or_many_conversations(
    parent: User, parent_api: APIClient, django_assert_max_num_queries: Any, count: int
) -> None:
    for _ in range(count):
        sitter = SitterFactory()
        conversation, _ = conversation_start(actor=parent, participant_id=sitter.pk)
        message_send(conversation=conversation, sender=sitter, body="hello")
        message_send(conversation=conversation, sender=parent, body="hi")

    with django_assert_max_num_queries(2):  # the caller (JWT), then the whole page in one query
        response = parent_api.get("/api/v1/conversations")

    assert len(response.json()["results"]) == count
    assert all(item["unread_count"] == 1 for item in response.json()["results"])


# --- messages -----------------------------------------------------------------------------------


def test_sending_answers_201_with_the_cleaned_message(
    parent_api: APIClient, conversation: Conversation, parent: User
) -> None:
    response = send(parent_api, conversation, "<p>Running <i>late</i> &amp; sorry</p>", attachment_id=None)

    assert response.status_code == 201
    body = response.json()
    assert body["body"] == "Running late & sorry"
    assert body["sender_id"] == str(parent.pk) and body["conversation_id"] == str(conversation.pk)
    assert body["attachment_id"] is None and body["safety_warning"] is None
    assert Message.objects.get(pk=body["id"]).body == "Running late & sorry"


def test_history_is_newest_first_with_cursors(parent_api: APIClient, conversation: Conversation) -> None:
    for index in range(5):
        send(parent_api, conversation, f"message {index}")

    first = parent_api.get(messages_url(conversation) + "?page_size=3").json()
    second = parent_api.get(first["next"]).json()

    bodies = [message["body"] for message in first["results"] + second["results"]]
    assert bodies == [f"message {index}" for index in (4, 3, 2, 1, 0)]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   \n  "}, "body"),
        ({"body": "<script>alert(1)</script>"}, "body"),
        ({"body": "y" * 4001}, "body"),
        ({"body": "<b>" + "z" * 4001 + "</b>"}, "body"),
        ({}, "body"),
        ({"body": None}, "body"),
        ({"body": ["a"]}, "body"),
        ({"body": "hi", "sender_id": str(uuid.uuid4())}, "sender_id"),
        ({"body": "hi", "attachment_id": "nope"}, "attachment_id"),
    ],
)
def test_bad_messages_are_400_and_nothing_is_stored_or_sent(
    parent_api: APIClient,
    conversation: Conversation,
    payload: dict[str, Any],
    field: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = parent_api.post(messages_url(conversation), payload, format="json")

    assert field in assert_problem(response, 400, "invalid")["errors"]
    assert callbacks == []
    assert not Message.objects.exists()


_ATTACHMENT = uuid.uuid4()


@pytest.mark.parametrize(
    "payload",
    [
        {"body": "hi"},
        {"body": " <b>see</b> you\r\nat six \x00"},
        {"body": "a" * 4000},
        {"body": "hi", "attachment_id": None},
        {"body": "hi", "attachment_id": str(_ATTACHMENT)},
        {"body": "hi", "attachment_id": _ATTACHMENT.hex.upper()},
        {"body": ""},
        {"body": "<script>alert(1)</script>"},
        {"body": "y" * 4001},
        {"body": True},
        {"body": 5},
        {"body": "hi", "attachment_id": "nope"},
        {"body": "hi", "attachment_id": 5},
        {"body": "hi", "sender_id": "x"},
        {"body": "hi", "attachment_id": None, "sender_id": "x"},
        {"attachment_id": None},
    ],
)
def test_the_quick_input_check_agrees_with_the_serializer_or_leaves_it_to_it(payload: dict[str, Any]) -> None:
    serializer = MessageSendSerializer(data=JSONObject(payload))
    quick = _message_input(JSONObject(payload))

    if serializer.is_valid():
        expected = (serializer.validated_data["body"], serializer.validated_data.get("attachment_id"))
        # DRF's UUIDField also takes a whole number: such bodies are left to the serializer, which takes them.
        assert quick == (None if isinstance(payload.get("attachment_id"), int) else expected)
    else:
        assert quick is None  # the serializer words every refusal
    assert _message_input(payload) is None  # not a JSON body (a form): the serializer's rules for those


def test_exactly_4000_characters_is_fine(parent_api: APIClient, conversation: Conversation) -> None:
    assert send(parent_api, conversation, "a" * 4000).status_code == 201


def test_an_unknown_or_foreign_attachment_is_refused(parent_api: APIClient, conversation: Conversation) -> None:
    response = send(parent_api, conversation, "photo", attachment_id=str(uuid.uuid4()))

    assert "attachment_id" in assert_problem(response, 400, "unknown_attachment")["errors"]
    assert not Message.objects.exists()


def test_a_request_to_pay_outside_carries_a_warning(sitter_api: APIClient, conversation: Conversation) -> None:
    response = send(sitter_api, conversation, "Can you pay me by bank transfer? IBAN below")

    assert response.status_code == 201
    assert response.json()["safety_warning"]["code"] == "off_platform_payment"
    assert "outside GuardianNest" in response.json()["safety_warning"]["detail"]
    assert Message.objects.get(pk=response.json()["id"]).flagged


def test_unknown_conversations_are_404(parent_api: APIClient) -> None:
    missing = uuid.uuid4()
    assert_problem(parent_api.get(f"/api/v1/conversations/{missing}"), 404, "not_found")
    assert_problem(parent_api.get(f"/api/v1/conversations/{missing}/messages"), 404, "not_found")
    assert_problem(parent_api.post(f"/api/v1/conversations/{missing}/messages", {"body": "x"}), 404, "not_found")
    assert_problem(
        parent_api.post(f"/api/v1/conversations/{missing}/read", {"message_id": str(uuid.uuid4())}), 404, "not_found"
    )


@pytest.mark.parametrize("intruder", ["other_parent", "other_sitter", "staff"])
def test_someone_elses_conversation_is_404_on_every_route(
    request: pytest.FixtureRequest, conversation: Conversation, sitter: User, intruder: str
) -> None:
    message = message_send(conversation=conversation, sender=sitter, body="private")
    client = client_for(request.getfixturevalue(intruder))

    assert_problem(client.get(f"/api/v1/conversations/{conversation.pk}"), 404, "not_found")
    assert_problem(client.get(messages_url(conversation)), 404, "not_found")
    assert_problem(send(client, conversation, "let me in"), 404, "not_found")
    assert_problem(send(client, conversation, ""), 404, "not_found")  # no hint from validation either
    assert_problem(client.post(read_url(conversation), {"message_id": str(message.pk)}, format="json"), 404)
    assert client.get("/api/v1/conversations").json()["results"] == []
    assert Message.objects.count() == 1
    assert Conversation.objects.get(pk=conversation.pk).parent_last_read_message_id is None


def test_anonymous_callers_are_401(api: APIClient, conversation: Conversation) -> None:
    assert_problem(api.get("/api/v1/conversations"), 401)
    assert_problem(send(api, conversation, "hi"), 401)
    assert not Message.objects.exists()


def test_a_flood_is_429_and_nothing_more_is_stored(
    parent_api: APIClient, sitter_api: APIClient, conversation: Conversation, settings: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat": "3/min"},
    }
    statuses = [send(parent_api, conversation, f"spam {index}").status_code for index in range(3)]

    flooded = send(parent_api, conversation, "one too many")

    assert statuses == [201, 201, 201]
    assert_problem(flooded, 429, "throttled")
    assert int(flooded["Retry-After"]) > 0
    assert Message.objects.count() == 3
    assert parent_api.get(messages_url(conversation)).status_code == 200  # reading is not throttled
    assert send(sitter_api, conversation, "my own budget").status_code == 201  # per user


# --- cost of sending: pinned, so a change that adds a query shows here --------------------------


def test_a_message_post_is_two_queries_the_caller_and_the_one_statement_that_stores(
    parent_api: APIClient, conversation: Conversation, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2) as captured:  # the user for the token (with its session), then the message
        response = send(parent_api, conversation, "See you at six")

    assert response.status_code == 201, response.content
    assert "messaging_message" in captured.captured_queries[1]["sql"]
    stored = Message.objects.get(pk=response.json()["id"])
    assert (stored.seq, stored.body) == (1, "See you at six")


def test_a_closed_recipient_or_a_stranger_costs_one_more_query_to_tell_which(
    conversation: Conversation, sitter: User, other_parent: User, django_assert_num_queries: Any
) -> None:
    stranger = client_for(other_parent)
    with django_assert_num_queries(3):
        assert_problem(send(stranger, conversation, "let me in"), 404, "not_found")
    User.objects.filter(pk=sitter.pk).update(is_active=False)
    parent_api = client_for(User.objects.get(pk=conversation.parent_id))
    with django_assert_num_queries(3):
        assert_problem(send(parent_api, conversation, "hello?"), 409, "participant_unavailable")
    assert not Message.objects.exists()


def test_malformed_input_to_someone_elses_conversation_is_still_404(
    conversation: Conversation, other_parent: User
) -> None:
    stranger = client_for(other_parent)

    response = stranger.post(messages_url(conversation), data="{not json", content_type="application/json")

    assert_problem(response, 404, "not_found")
    assert not Message.objects.exists()
