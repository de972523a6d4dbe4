"""Sending a message: store it in order, deliver it live, push it to a recipient who is offline.

Each is one transaction on the conversation's row (``select_for_update``), so
message numbers are allocated in order and two read receipts cannot move a
marker backwards. Live delivery and the offline push leave only after commit.

Audit: starting a conversation and flagging a message are audited. Ordinary
messages and read receipts are not: the message table is their record, and
the audit chain is serialised platform-wide (one writer at a time), which chat
traffic must not queue behind.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from functools import cache, partial
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Field, Model, Q
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from files.models import Purpose
from files.selectors import file_get_usable
from guardiannest import text as plain_text
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, invalid, not_found
from guardiannest.prepared import prepared_cursor
from guardiannest.realtime.events import broadcast_counting_sockets
from guardiannest.realtime.groups import user_group
from guardiannest.realtime.presence import user_is_online
from messaging import safety
from messaging.errors import ChatError
from messaging.models import Conversation, Message, SafetyWarning
from messaging.models.chat import BODY_MAX_LENGTH
from messaging.services.notifications import notify

OFFLINE_KIND = "chat.message_offline"
PREVIEW_LENGTH = 100


# --- wire shapes shared by the REST answers and the socket events ---------------------------------


def wire_time(value: datetime) -> str:
    """A time as the API's serializers write it (ISO 8601 in the current zone, UTC as ``Z``): REST and socket agree."""
    text = timezone.localtime(value).isoformat()
    return f"{text[:-6]}Z" if text.endswith("+00:00") else text


def safety_warning_data(code: str) -> dict[str, str] | None:
    """What the recipient is shown next to a flagged message; None for an ordinary one."""
    if code != SafetyWarning.OFF_PLATFORM_PAYMENT:
        return None
    return {
        "code": code,
        "detail": gettext(
            "This message seems to ask for payment outside GuardianNest. Payments made outside the app are "
            "not protected: no insurance, no refund, no help from support. Never pay by bank transfer, "
            "payment app, gift card, cheque or crypto."
        ),
    }


def message_event_data(message: Message) -> dict[str, Any]:
    """A message as the API answers it and as ``message.created`` carries it (the same dict)."""
    return {
        "id": str(message.pk),
        "conversation_id": str(message.conversation_id),
        "sender_id": str(message.sender_id),
        "body": message.body,
        "attachment_id": str(message.attachment_id) if message.attachment_id else None,
        "created_at": wire_time(message.created_at),
        "safety_warning": safety_warning_data(message.safety_warning),
    }


# --- messages -----------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    """The text to store; the API cleans it already, this keeps the rule for every other caller."""
    text = plain_text.clean_text(body, max_length=BODY_MAX_LENGTH, multiline=True, field="body")
    if not text:
        raise invalid("body", "Write something: the message is empty.")
    return text


def conversation_lock(conversation: Conversation, user: User) -> Conversation:
    """The conversation locked until the transaction ends; not found for anyone not in it."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if user.pk not in locked.participant_ids():
        raise not_found()
    return locked


@cache
def _send_sql() -> str:
    """One statement that takes the next number of a conversation and stores the message under it.

    The UPDATE takes the conversation's row lock, as ``select_for_update``
    did, and holds it to the end of the transaction: racing senders queue on
    it and get consecutive numbers. It matches only while the sender is a
    participant and the other participant's account is active; it also moves
    ``last_message`` to the new row, which the INSERT of the same statement
    makes (the foreign key is checked at commit). Built once from the models'
    tables and columns; the message's columns take their values in
    ``Message._meta.concrete_fields`` order, ``seq`` from the UPDATE.
    """
    quote = connection.ops.quote_name

    def column(model: type[Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)
        assert field.column is not None
        return quote(field.column)

    c = {name: column(Conversation, name) for name in ("id", "parent", "sitter", "last_seq")}
    fields = Message._meta.concrete_fields
    columns = ", ".join(quote(str(field.column)) for field in fields)
    values = ", ".join(f"turn.{c['last_seq']}" if field.attname == "seq" else "%s" for field in fields)
    return (
        f"WITH turn AS ("  # noqa: S608  (identifiers from the models, quoted; every value a parameter)
        f"UPDATE {quote(Conversation._meta.db_table)} AS c SET {c['last_seq']} = c.{c['last_seq']} + 1, "
        f"{column(Conversation, 'last_message')} = %s, {column(Conversation, 'last_message_at')} = %s "
        f"WHERE c.{c['id']} = %s AND %s IN (c.{c['parent']}, c.{c['sitter']}) "
        f"AND EXISTS (SELECT 1 FROM {quote(User._meta.db_table)} AS u WHERE u.{column(User, 'id')} = "
        f"CASE WHEN c.{c['parent']} = %s THEN c.{c['sitter']} ELSE c.{c['parent']} END "
        f"AND u.{column(User, 'is_active')}) "
        f"RETURNING c.{c['last_seq']}, c.{c['parent']}, c.{c['sitter']}"
        f"), made AS (INSERT INTO {quote(Message._meta.db_table)} ({columns}) SELECT {values} FROM turn "
        f"RETURNING {column(Message, 'seq')}) "
        f"SELECT turn.{c['last_seq']}, turn.{c['parent']}, turn.{c['sitter']} FROM turn"
    )


def _store(message: Message, *, sender: User, conversation_id: UUID) -> tuple[UUID, UUID]:
    """INSERT ``message`` as the conversation's next one (``_send_sql``); its (parent id, sitter id).

    On a database other than PostgreSQL, the same in ORM statements (``_store_portable``).

    Not found for anyone not in the conversation; ``participant_unavailable``
    when the other participant's account is closed. The fields prepare their
    own values (``pre_save``: the body is encrypted for this row, ``created_at``
    set), as ``Model.save`` would; messages have no save signals to send.
    """
    if connection.vendor != "postgresql":
        return _store_portable(message, sender=sender, conversation_id=conversation_id)
    fields = [field for field in Message._meta.concrete_fields if field.attname != "seq"]
    values = [field.get_db_prep_save(field.pre_save(message, True), connection) for field in fields]
    sender_id = User._meta.pk.get_db_prep_value(sender.pk, connection)
    conversation_key = Conversation._meta.pk.get_db_prep_value(conversation_id, connection)
    params = [message.pk, message.created_at, conversation_key, sender_id, sender_id, *values]
    with prepared_cursor() as cursor:  # prepared once per pooled connection: no parsing and planning per message
        cursor.execute(_send_sql(), params)
        row = cursor.fetchone()
    if row is None:
        participants = Conversation.objects.filter(Q(parent=sender) | Q(sitter=sender), pk=conversation_id)
        if not participants.exists():
            raise not_found()
        raise ApplicationError(
            ChatError.PARTICIPANT_UNAVAILABLE, "This person's account is closed: they can no longer receive messages."
        )
    message.seq = row[0]
    message._state.adding = False
    message._state.db = connection.alias
    return row[1], row[2]


@transaction.atomic
def _store_portable(message: Message, *, sender: User, conversation_id: UUID) -> tuple[UUID, UUID]:
    """``_store`` in separate ORM statements, for databases without data-modifying WITH (the SQLite default)."""
    locked = Conversation.objects.select_for_update().filter(Q(parent=sender) | Q(sitter=sender), pk=conversation_id)
    conversation = locked.first()
    if conversation is None:
        raise not_found()
    if not User.objects.filter(pk=conversation.other_participant_id(sender.pk), is_active=True).exists():
        raise ApplicationError(
            ChatError.PARTICIPANT_UNAVAILABLE, "This person's account is closed: they can no longer receive messages."
        )
    conversation.last_seq += 1
    message.seq = conversation.last_seq
    message.save(force_insert=True)
    conversation.last_message = message
    conversation.last_message_at = message.created_at
    conversation.save(update_fields=["last_seq", "last_message", "last_message_at"])
    return conversation.parent_id, conversation.sitter_id


def message_send(
    *,
    sender: User,
    body: str,
    attachment_id: UUID | None = None,
    conversation_id: UUID | None = None,
    conversation: Conversation | None = None,
) -> Message:
    """Store a message and deliver it: live to both participants' sockets, by push if the recipient has none.

    Name the conversation by ``conversation_id`` (or pass the instance). The
    sender must be a participant (else not found), the recipient's account
    active (else ``participant_unavailable``): both are checked by the
    statement that stores the message (``_send_sql``), under the
    conversation's row lock. An ordinary message is that one statement, its
    own transaction: nothing to re-read, nothing else to write.
    An attachment is one of the sender's own usable uploads with the purpose
    ``message_attachment`` (:func:`files.selectors.file_get_usable`: processed,
    never rejected); the recipient may then read it
    (:func:`messaging.selectors.chat.chat_attachment_visible`).
    A message that asks to pay outside the platform is stored and delivered
    with a warning for its recipient, flagged for staff, and audited without
    its text. A message with an attachment or a warning is one transaction
    with those checks and writes.
    """
    if conversation_id is None:
        if conversation is None:
            raise TypeError("message_send() needs conversation_id or conversation")
        conversation_id = conversation.pk
    text = _clean_body(body)
    finding = safety.detect(text)
    message = Message(
        conversation_id=conversation_id,
        seq=0,  # the statement allocates it
        sender=sender,
        body=text,
        attachment_id=attachment_id,
        flagged=finding is not None,
        safety_warning=SafetyWarning.OFF_PLATFORM_PAYMENT if finding else SafetyWarning.NONE,
    )
    with transaction.atomic() if finding is not None or attachment_id is not None else nullcontext():
        parent_id, sitter_id = _store(message, sender=sender, conversation_id=conversation_id)
        if attachment_id is not None:  # after the participant check: someone else's conversation is not found first
            file_get_usable(
                file_id=attachment_id,
                owner_id=sender.pk,
                purpose=Purpose.MESSAGE_ATTACHMENT,
                field="attachment_id",
                code=ChatError.UNKNOWN_ATTACHMENT,
            )
        if finding is not None:
            audit_record(
                action="chat.message_flagged",
                actor=sender,
                target=message,
                data={"conversation_id": str(conversation_id), "categories": list(finding.categories)},
            )
        recipient_id, sender_id = (sitter_id, parent_id) if sender.pk == parent_id else (parent_id, sitter_id)
        transaction.on_commit(
            partial(
                message_deliver,
                message=message,
                recipient_id=recipient_id,
                sender_id=sender_id,
                sender=sender,
            ),
            robust=True,  # a failing push must not turn a stored, delivered message into an error
        )
    return message


def message_deliver(*, message: Message, recipient_id: UUID, sender_id: UUID, sender: User) -> None:
    """After commit: ``message.created`` to both participants' sockets, then a push if the recipient has none.

    The recipient's group is published to first, the sender's other devices
    after; the same Redis command counts the recipient's open sockets
    (:func:`~guardiannest.realtime.events.broadcast_counting_sockets`), so the
    presence check costs no round trip of its own.
    """
    open_sockets = broadcast_counting_sockets(
        [user_group(recipient_id), user_group(sender_id)],
        "message.created",
        message_event_data(message),
        user_id=recipient_id,
    )
    message_push_if_offline(
        recipient_id=recipient_id,
        message_id=message.pk,
        conversation_id=message.conversation_id,
        sender=sender,
        online=None if open_sockets is None else open_sockets > 0,
    )


def message_push_if_offline(
    *, recipient_id: UUID, message_id: UUID, conversation_id: UUID, sender: User, online: bool | None = None
) -> bool:
    """Push a new message to a recipient with no open socket (called after commit); True when it was handed over.

    An open socket got the message live already. ``online`` is what the
    broadcast counted; None asks the presence store. The push names the
    sender and the conversation, not the text: it shows on a locked screen.
    """
    if online is None:
        online = user_is_online(user_id=recipient_id)
    if online:
        return False
    recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
    if recipient is None:
        return False
    notify(
        user=recipient,
        kind=OFFLINE_KIND,
        actor=sender,
        context={
            "conversation_id": str(conversation_id),
            "message_id": str(message_id),
            "sender_name": sender.first_name or gettext("Your GuardianNest contact"),
        },
    )
    return True
