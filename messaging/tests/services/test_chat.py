"""Chat services: one conversation per pair, numbered messages, safety flags, read markers, delivery."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from channels.layers import get_channel_layer
from django.db import connection

from accounts.models import User
from accounts.tests.factories import ParentFactory, SitterFactory
from conftest import race
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError, Refusal
from guardiannest.realtime.groups import user_group
from guardiannest.realtime.layers import RedisPubSubLayer
from guardiannest.realtime.presence import presence_join
from guardiannest.realtime.store import RedisStore, store_for
from guardiannest.realtime.testing import GroupListener
from messaging.models import Conversation, Message, Notification
from messaging.services.chat import OFFLINE_KIND, message_send
from messaging.services.conversations import chat_erase, chat_export, conversation_mark_read, conversation_start

pytestmark = pytest.mark.django_db


def _listen(*groups: str) -> Any:
    """A listener on ``groups``; returns a function that reads its next envelope."""
    return GroupListener(groups).next_envelope


# --- conversations ------------------------------------------------------------------------------


def test_a_pair_has_one_conversation_whoever_starts_it(parent: User, sitter: User) -> None:
    first, created = conversation_start(actor=parent, participant_id=sitter.pk)
    again, created_again = conversation_start(actor=parent, participant_id=sitter.pk)
    from_sitter, created_by_sitter = conversation_start(actor=sitter, participant_id=parent.pk)

    assert (created, created_again, created_by_sitter) == (True, False, False)
    assert first.pk == again.pk == from_sitter.pk
    assert (first.parent_id, first.sitter_id) == (parent.pk, sitter.pk)
    assert AuditEvent.objects.filter(action="chat.conversation_started", target_id=str(first.pk)).count() == 1


@pytest.mark.parametrize(
    ("actor_name", "participant_name"),
    [
        ("parent", "other_parent"),
        ("sitter", "other_sitter"),
        ("parent", "parent"),
        ("parent", "staff"),
        ("staff", "sitter"),
        ("parent", "inactive_sitter"),
        ("parent", "nobody"),
    ],
)
def test_only_a_parent_and_an_active_sitter_make_a_pair(
    request: pytest.FixtureRequest, actor_name: str, participant_name: str
) -> None:
    import uuid

    actor = request.getfixturevalue(actor_name)
    if participant_name == "nobody":
        participant_id = uuid.uuid4()
    elif participant_name == "inactive_sitter":
        participant_id = SitterFactory(is_active=False).pk
    else:
        participant_id = request.getfixturevalue(participant_name).pk

    with pytest.raises(ApplicationError) as refused:
        conversation_start(actor=actor, participant_id=participant_id)

    assert refused.value.code == "invalid_participant" and refused.value.refusal is Refusal.INVALID
    assert list(refused.value.errors or {}) == ["participant_id"]
    assert not Conversation.objects.exists()


def test_the_refusal_does_not_say_why(parent: User, other_parent: User) -> None:
    import uuid

    messages = set()
    for participant_id in (other_parent.pk, parent.pk, uuid.uuid4()):
        with pytest.raises(ApplicationError) as refused:
            conversation_start(actor=parent, participant_id=participant_id)
        messages.add(refused.value.detail)
    assert len(messages) == 1


@pytest.mark.django_db(transaction=True)
def test_racing_first_requests_make_one_conversation() -> None:
    parent, sitter = ParentFactory(), SitterFactory()

    results = race(8, lambda: conversation_start(actor=parent, participant_id=sitter.pk))

    assert all(isinstance(result, tuple) for result in results), results
    assert [created for _, created in results].count(True) == 1  # type: ignore[misc]
    assert len({conversation.pk for conversation, _ in results}) == 1  # type: ignore[misc]
    assert Conversation.objects.count() == 1


# --- messages -----------------------------------------------------------------------------------


def test_messages_are_numbered_cleaned_and_become_the_last_message(
    conversation: Conversation, parent: User, sitter: User
) -> None:
    first = message_send(conversation=conversation, sender=parent, body="  <b>Hi</b> Sam!\r\nSee you  ")
    second = message_send(conversation=conversation, sender=sitter, body="See you!")

    conversation.refresh_from_db()
    assert (first.seq, second.seq) == (1, 2)
    assert Message.objects.get(pk=first.pk).body == "Hi Sam!\nSee you"
    assert conversation.last_message_id == second.pk and conversation.last_seq == 2
    assert conversation.last_message_at == second.created_at


def test_the_text_is_encrypted_at_rest(conversation: Conversation, parent: User) -> None:
    message = message_send(conversation=conversation, sender=parent, body="The door code is 4711")

    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM messaging_message WHERE id = %s", [message.pk])
        (raw,) = cursor.fetchone()

    assert "4711" not in raw and raw.startswith("gn1:")
    assert Message.objects.get(pk=message.pk).body == "The door code is 4711"


@pytest.mark.parametrize("body", ["", "   \n\t ", "<script>alert(1)</script>", "x" * 4001, "bad \x00 byte"])
def test_bad_text_is_refused_and_nothing_is_stored_or_sent(
    conversation: Conversation, parent: User, body: str, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ApplicationError) as refused:
        message_send(conversation=conversation, sender=parent, body=body)

    assert refused.value.refusal is Refusal.INVALID and list(refused.value.errors or {}) == ["body"]
    assert callbacks == []
    assert not Message.objects.exists()


def test_an_attachment_must_be_an_own_upload(conversation: Conversation, parent: User) -> None:
    import uuid

    with pytest.raises(ApplicationError) as refused:
        message_send(conversation=conversation, sender=parent, body="photo", attachment_id=uuid.uuid4())

    assert refused.value.code == "unknown_attachment"
    assert not Message.objects.exists()


def test_a_closed_account_receives_no_more_messages(conversation: Conversation, parent: User, sitter: User) -> None:
    User.objects.filter(pk=sitter.pk).update(is_active=False)

    with pytest.raises(ApplicationError) as refused:
        message_send(conversation=conversation, sender=parent, body="Hello?")

    assert refused.value.code == "participant_unavailable" and refused.value.refusal is Refusal.CONFLICT
    assert not Message.objects.exists()


def test_a_message_reaches_both_participants_after_commit(
    conversation: Conversation, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    parent_socket, sitter_socket = _listen(user_group(parent.pk)), _listen(user_group(sitter.pk))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = message_send(conversation=conversation, sender=parent, body="On my way")
    assert len(callbacks) == 1  # the broadcast with the offline check, nothing before commit
    callbacks[0]()

    for socket in (parent_socket, sitter_socket):
        envelope = socket()
        assert envelope["type"] == "message.created"
        assert envelope["data"]["id"] == str(message.pk) and envelope["data"]["body"] == "On my way"
        assert envelope["data"]["safety_warning"] is None


def test_the_recipient_is_published_to_first_then_the_senders_devices_and_both_keep_it_for_replay(
    conversation: Conversation, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    layer: Any = get_channel_layer()
    assert isinstance(layer, RedisPubSubLayer)  # the tests run on Redis, as production does
    presence_join(user_id=sitter.pk)  # online: no push (its notification event would follow on the sitter's group)
    client = redis.Redis.from_url(layer.hosts[0]["address"])
    pubsub = client.pubsub()
    channels = {layer.group_channel(user_group(user.pk)): user for user in (parent, sitter)}
    pubsub.subscribe(*channels)  # one connection: messages arrive in the order they were published
    for _ in channels:
        pubsub.get_message(timeout=5)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = message_send(conversation=conversation, sender=parent, body="Leaving now")
        received = [pubsub.get_message(timeout=5) for _ in channels]
    finally:
        pubsub.close()
        client.close()

    assert [channels[raw["channel"].decode()] for raw in received] == [sitter, parent]
    texts = {layer.deserialize(raw["data"])["text"] for raw in received}
    assert len(texts) == 1  # one envelope, encoded once
    envelope = json.loads(texts.pop())
    store = store_for(layer)
    assert isinstance(store, RedisStore)
    for user in (sitter, parent):
        key = store.replay_key(user_group(user.pk))
        kept: Any = layer.publisher.client_for(key).xrange(key)
        last = kept[-1][1]  # earlier tests may have left events in the window
        assert last[b"i"].decode() == envelope["id"] and json.loads(last[b"e"]) == envelope
    assert envelope["data"]["id"] == str(message.pk)
    assert not Notification.objects.filter(kind=OFFLINE_KIND).exists()


def test_an_offline_recipient_gets_a_push_naming_the_sender_not_the_text(
    conversation: Conversation, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = message_send(conversation=conversation, sender=parent, body="Secret door code 4711")

    notification = Notification.objects.get(kind=OFFLINE_KIND)
    assert notification.user_id == sitter.pk and notification.actor_id == parent.pk
    assert notification.data == {"conversation_id": str(conversation.pk), "message_id": str(message.pk)}
    assert parent.first_name in notification.title
    assert "4711" not in notification.title + notification.body


def test_an_online_recipient_gets_no_push(
    conversation: Conversation, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    presence_join(user_id=sitter.pk)

    with django_capture_on_commit_callbacks(execute=True):
        message_send(conversation=conversation, sender=parent, body="Are you there?")

    assert not Notification.objects.filter(kind=OFFLINE_KIND).exists()


def test_a_request_to_pay_outside_is_delivered_with_a_warning_flagged_and_audited(
    conversation: Conversation, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = message_send(conversation=conversation, sender=sitter, body="Just Zelle me the $80, no fees")

    stored = Message.objects.get(pk=message.pk)
    assert stored.flagged and stored.safety_warning == "off_platform_payment"
    event = AuditEvent.objects.get(action="chat.message_flagged")
    assert event.target_id == str(message.pk) and event.actor_id == sitter.pk
    assert event.data == {"conversation_id": str(conversation.pk), "categories": ["zelle"]}
    assert "Zelle me" not in str(event.data)


def test_an_ordinary_message_is_not_flagged(conversation: Conversation, sitter: User) -> None:
    message = message_send(conversation=conversation, sender=sitter, body="I'll check and get back to you")

    assert not Message.objects.get(pk=message.pk).flagged
    assert not AuditEvent.objects.filter(action="chat.message_flagged").exists()


# --- read markers -------------------------------------------------------------------------------


def test_the_read_marker_moves_forward_only_and_tells_the_other_participant(
    conversation: Conversation, parent: User, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    first = message_send(conversation=conversation, sender=sitter, body="one")
    second = message_send(conversation=conversation, sender=sitter, body="two")
    sitter_socket = _listen(user_group(sitter.pk))

    with django_capture_on_commit_callbacks(execute=True) as forward:
        conversation_mark_read(conversation=conversation, reader=parent, message_id=second.pk)
    with django_capture_on_commit_callbacks(execute=True) as backward:
        conversation_mark_read(conversation=conversation, reader=parent, message_id=first.pk)
    with django_capture_on_commit_callbacks(execute=True) as again:
        conversation_mark_read(conversation=conversation, reader=parent, message_id=second.pk)

    conversation.refresh_from_db()
    assert conversation.parent_last_read_message_id == second.pk and conversation.parent_last_read_at is not None
    assert conversation.sitter_last_read_message_id is None
    assert (len(forward), len(backward), len(again)) == (1, 0, 0)
    envelope = sitter_socket()
    assert envelope["type"] == "message.read"
    assert envelope["data"]["message_id"] == str(second.pk) and envelope["data"]["reader_id"] == str(parent.pk)


def test_only_a_message_of_the_conversation_can_be_read(
    conversation: Conversation, parent: User, other_sitter: User
) -> None:
    import uuid

    elsewhere, _ = conversation_start(actor=parent, participant_id=other_sitter.pk)
    foreign = message_send(conversation=elsewhere, sender=other_sitter, body="hi")

    for message_id in (foreign.pk, uuid.uuid4()):
        with pytest.raises(ApplicationError) as refused:
            conversation_mark_read(conversation=conversation, reader=parent, message_id=message_id)
        assert refused.value.code == "unknown_message" and list(refused.value.errors or {}) == ["message_id"]
    conversation.refresh_from_db()
    assert conversation.parent_last_read_message_id is None


# --- GDPR ---------------------------------------------------------------------------------------


def test_export_holds_what_the_user_wrote_and_erase_blanks_it(
    conversation: Conversation, parent: User, sitter: User
) -> None:
    mine = message_send(conversation=conversation, sender=parent, body="from the parent")
    theirs = message_send(conversation=conversation, sender=sitter, body="from the sitter")

    exported = chat_export(parent)
    chat_erase(parent)

    (entry,) = exported["conversations"]
    assert entry["with_user_id"] == str(sitter.pk)
    assert [message["body"] for message in entry["messages_written"]] == ["from the parent"]
    assert Message.objects.get(pk=mine.pk).body == ""
    assert Message.objects.get(pk=theirs.pk).body == "from the sitter"


@pytest.mark.django_db(transaction=True)
def test_racing_senders_get_consecutive_numbers() -> None:
    parent, sitter = ParentFactory(), SitterFactory()
    conversation, _ = conversation_start(actor=parent, participant_id=sitter.pk)

    results = race(8, lambda: message_send(conversation=conversation, sender=parent, body="hello"))

    assert all(isinstance(result, Message) for result in results), results
    assert sorted(Message.objects.filter(conversation=conversation).values_list("seq", flat=True)) == list(range(1, 9))
    conversation.refresh_from_db()
    assert conversation.last_seq == 8
    assert conversation.last_message_id == Message.objects.get(conversation=conversation, seq=8).pk


def test_an_ordinary_message_is_one_statement(
    conversation: Conversation, parent: User, sitter: User, django_assert_num_queries: Any
) -> None:
    message_send(conversation_id=conversation.pk, sender=parent, body="one")

    with django_assert_num_queries(1):  # number, checks, INSERT and the conversation's last message at once
        message = message_send(conversation_id=conversation.pk, sender=sitter, body="two")

    conversation.refresh_from_db()
    assert (message.seq, conversation.last_seq, conversation.last_message_id) == (2, 2, message.pk)
    assert conversation.last_message_at == message.created_at == Message.objects.get(pk=message.pk).created_at


def test_the_portable_store_numbers_checks_and_stores_as_the_one_statement_does(
    conversation: Conversation, parent: User, sitter: User, other_parent: User
) -> None:
    # the path databases without data-modifying WITH take (the SQLite default); the same rules
    from messaging.services.chat import _store_portable

    first = Message(conversation_id=conversation.pk, seq=0, sender=parent, body="one")
    second = Message(conversation_id=conversation.pk, seq=0, sender=sitter, body="two")
    assert _store_portable(first, sender=parent, conversation_id=conversation.pk) == (parent.pk, sitter.pk)
    _store_portable(second, sender=sitter, conversation_id=conversation.pk)

    conversation.refresh_from_db()
    assert (first.seq, second.seq, conversation.last_seq, conversation.last_message_id) == (1, 2, 2, second.pk)
    with pytest.raises(ApplicationError) as refused:
        _store_portable(
            Message(seq=0, sender=other_parent, body="x"), sender=other_parent, conversation_id=conversation.pk
        )
    assert refused.value.refusal is Refusal.NOT_FOUND
    User.objects.filter(pk=sitter.pk).update(is_active=False)
    with pytest.raises(ApplicationError) as refused:
        _store_portable(Message(seq=0, sender=parent, body="x"), sender=parent, conversation_id=conversation.pk)
    assert refused.value.code == "participant_unavailable"
    assert Message.objects.count() == 2
