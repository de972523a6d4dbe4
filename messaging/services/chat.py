"""Every change to a conversation: start one, send a message, move a read marker.

Each is one transaction on the conversation's row (``select_for_update``), so
message numbers are allocated in order and two read receipts cannot move a
marker backwards. Live delivery and the offline push leave only after commit.

Audit: starting a conversation and flagging a message are audited. Ordinary
messages and read receipts are not: the message table is their record, and
the audit chain is serialised platform-wide (one writer at a time), which chat
traffic must not queue behind.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Role, User
from files.models import Purpose
from files.selectors import file_get_usable
from guardiannest import text as plain_text
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, invalid, not_found
from guardiannest.realtime.events import broadcast_on_commit
from guardiannest.realtime.groups import user_group
from guardiannest.realtime.presence import user_is_online
from messaging import safety
from messaging.errors import ChatError
from messaging.models import Conversation, Message, SafetyWarning
from messaging.models.chat import BODY_MAX_LENGTH
from messaging.references import BOOKING, conversation_references
from messaging.services.notifications import notify

OFFLINE_KIND = "chat.message_offline"
PREVIEW_LENGTH = 100
_PAIRS = {Role.PARENT: Role.SITTER, Role.SITTER: Role.PARENT}


# --- wire shapes shared by the REST answers and the socket events ---------------------------------


def _wire_time(value: datetime) -> str:
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
        "created_at": _wire_time(message.created_at),
        "safety_warning": safety_warning_data(message.safety_warning),
    }


# --- conversations ------------------------------------------------------------------------------


def _pair_for(actor: User, participant_id: UUID) -> tuple[User, User]:
    """``(parent, sitter)`` for the actor and the participant they named, or bad input naming ``participant_id``.

    Every refusal has the same words, whatever the reason (no such user,
    inactive, same role, staff, oneself): the answer must not tell a caller
    who exists or what role they have.
    """
    refusal = invalid(
        "participant_id",
        "Conversations are between a parent and a sitter: name an active user of the other role.",
        ChatError.INVALID_PARTICIPANT,
    )
    wanted = _PAIRS.get(Role(actor.role)) if actor.role in _PAIRS and not actor.is_staff else None
    if wanted is None or participant_id == actor.pk:
        raise refusal
    other = User.objects.filter(pk=participant_id, is_active=True, is_staff=False, role=wanted).first()
    if other is None:
        raise refusal
    return (actor, other) if actor.role == Role.PARENT else (other, actor)


def conversation_start(*, actor: User, participant_id: UUID) -> tuple[Conversation, bool]:
    """The conversation between the actor and ``participant_id``, made if new; True when it was made.

    Two racing first requests meet at the unique (parent, sitter) index: one
    inserts, the other reads the row the first committed.
    """
    parent, sitter = _pair_for(actor, participant_id)
    existing = Conversation.objects.filter(parent=parent, sitter=sitter).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(parent=parent, sitter=sitter)
            audit_record(action="chat.conversation_started", actor=actor, target=conversation)
    except IntegrityError:
        return Conversation.objects.get(parent=parent, sitter=sitter), False
    return conversation, True


def conversation_start_for_booking(*, actor: User, booking_id: UUID) -> tuple[Conversation, bool]:
    """The conversation of a booking's parent and sitter, made if new (remembering the booking); True when made.

    Only the booking's parent and sitter may open it: anyone else, and an
    unknown booking, is not found. The booking's app says who its parties are
    (:mod:`messaging.references`); the pair has one conversation, so a repeat,
    or a pair already talking, gets the one they have.
    """
    resolve = conversation_references.get(BOOKING)
    parties = resolve(booking_id, actor) if resolve is not None else None
    if parties is None or actor.pk not in parties:
        raise not_found("No such booking.")
    parent_id, sitter_id = parties
    existing = Conversation.objects.filter(parent_id=parent_id, sitter_id=sitter_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(parent_id=parent_id, sitter_id=sitter_id, booking_id=booking_id)
            audit_record(
                action="chat.conversation_started", actor=actor, target=conversation, data={"booking": str(booking_id)}
            )
    except IntegrityError:
        return Conversation.objects.get(parent_id=parent_id, sitter_id=sitter_id), False
    return conversation, True


# --- messages -----------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    """The text to store; the API cleans it already, this keeps the rule for every other caller."""
    text = plain_text.clean_text(body, max_length=BODY_MAX_LENGTH, multiline=True, field="body")
    if not text:
        raise invalid("body", "Write something: the message is empty.")
    return text


def _lock_for(conversation: Conversation, user: User) -> Conversation:
    """The conversation locked until the transaction ends; not found for anyone not in it."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if user.pk not in locked.participant_ids():
        raise not_found()
    return locked


@transaction.atomic
def message_send(*, conversation: Conversation, sender: User, body: str, attachment_id: UUID | None = None) -> Message:
    """Store a message and deliver it: live to both participants' sockets, by push if the recipient has none.

    Precondition: ``sender`` is a participant (checked again under the lock).
    An attachment is one of the sender's own usable uploads with the purpose
    ``message_attachment`` (:func:`files.selectors.file_get_usable`: processed,
    never rejected); the recipient may then read it
    (:func:`messaging.selectors.chat.chat_attachment_visible`).
    A message that asks to pay outside the platform is stored and delivered
    with a warning for its recipient, flagged for staff, and audited without
    its text.
    """
    if attachment_id is not None:
        file_get_usable(
            file_id=attachment_id,
            owner_id=sender.pk,
            purpose=Purpose.MESSAGE_ATTACHMENT,
            field="attachment_id",
            code=ChatError.UNKNOWN_ATTACHMENT,
        )
    text = _clean_body(body)
    finding = safety.detect(text)
    locked = _lock_for(conversation, sender)
    recipient_id = locked.other_participant_id(sender.pk)
    if not User.objects.filter(pk=recipient_id, is_active=True).exists():
        raise ApplicationError(
            ChatError.PARTICIPANT_UNAVAILABLE, "This person's account is closed: they can no longer receive messages."
        )
    locked.last_seq += 1
    message = Message(
        conversation=locked,
        seq=locked.last_seq,
        sender=sender,
        body=text,
        attachment_id=attachment_id,
        flagged=finding is not None,
        safety_warning=SafetyWarning.OFF_PLATFORM_PAYMENT if finding else SafetyWarning.NONE,
    )
    message.save()
    locked.last_message = message
    locked.last_message_at = message.created_at
    locked.save(update_fields=["last_seq", "last_message", "last_message_at"])
    if finding is not None:
        audit_record(
            action="chat.message_flagged",
            actor=sender,
            target=message,
            data={"conversation_id": str(locked.pk), "categories": list(finding.categories)},
        )
    data = message_event_data(message)
    broadcast_on_commit([user_group(user_id) for user_id in locked.participant_ids()], "message.created", data)
    transaction.on_commit(
        partial(
            message_push_if_offline,
            recipient_id=recipient_id,
            message_id=message.pk,
            conversation_id=locked.pk,
            sender=sender,
        ),
        robust=True,  # a failing push must not turn a stored, delivered message into an error
    )
    return message


def message_push_if_offline(*, recipient_id: UUID, message_id: UUID, conversation_id: UUID, sender: User) -> bool:
    """Push a new message to a recipient with no open socket (called after commit); True when it was handed over.

    An open socket got the message live already. The push names the sender
    and the conversation, not the text: it shows on a locked screen.
    """
    if user_is_online(user_id=recipient_id):
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


# --- read receipts ------------------------------------------------------------------------------


def _side(conversation: Conversation, user: User) -> str:
    return "parent" if user.pk == conversation.parent_id else "sitter"


@transaction.atomic
def conversation_mark_read(*, conversation: Conversation, reader: User, message_id: UUID) -> Conversation:
    """Move the reader's marker to ``message_id`` and tell the other participant; backwards is a no-op.

    The message must be of this conversation (bad input naming ``message_id``
    otherwise). Returns the conversation, changed or not.
    """
    locked = _lock_for(conversation, reader)
    message = Message.objects.filter(pk=message_id, conversation=locked).only("id", "seq").first()
    if message is None:
        raise invalid("message_id", "This conversation has no message with this id.", ChatError.UNKNOWN_MESSAGE)
    side = _side(locked, reader)
    current_id = getattr(locked, f"{side}_last_read_message_id")
    current_seq = Message.objects.filter(pk=current_id).values_list("seq", flat=True).first() if current_id else None
    if current_seq is not None and message.seq <= current_seq:
        return locked
    read_at = timezone.now()
    setattr(locked, f"{side}_last_read_message", message)
    setattr(locked, f"{side}_last_read_at", read_at)
    locked.save(update_fields=[f"{side}_last_read_message", f"{side}_last_read_at"])
    broadcast_on_commit(
        [user_group(locked.other_participant_id(reader.pk))],
        "message.read",
        {
            "conversation_id": str(locked.pk),
            "reader_id": str(reader.pk),
            "message_id": str(message.pk),
            "read_at": _wire_time(read_at),
        },
    )
    return locked


# --- GDPR ---------------------------------------------------------------------------------------


def chat_export(user: User) -> dict[str, Any]:
    """The user's conversations and the messages they wrote, for their data export."""
    conversations = Conversation.objects.filter(parent=user) | Conversation.objects.filter(sitter=user)
    return {
        "conversations": [
            {
                "id": str(conversation.pk),
                "with_user_id": str(conversation.other_participant_id(user.pk)),
                "created_at": _wire_time(conversation.created_at),
                "messages_written": [
                    {"id": str(message.pk), "body": message.body, "created_at": message.created_at.isoformat()}
                    for message in conversation.messages.filter(sender=user).order_by("seq")
                ],
            }
            for conversation in conversations.order_by("created_at")
        ]
    }


def chat_erase(user: User) -> None:
    """Blank the text of every message the user wrote (the other participant keeps a thread with gaps)."""
    for message in Message.objects.filter(sender=user).iterator():
        if message.body:
            message.body = ""
            message.save(update_fields=["body"])
