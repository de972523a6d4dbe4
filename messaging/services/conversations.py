"""Conversations: start one (between a parent and a sitter, or for a booking), move a read marker, GDPR.

Messages themselves are :mod:`messaging.services.chat`. Starting a conversation is audited; a read
receipt is not (the conversation row is its record). A read marker moves under the conversation's row
lock, so two receipts cannot move it backwards; its event leaves after commit.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from guardiannest.audit.services import audit_record
from guardiannest.errors import invalid, not_found
from guardiannest.realtime.events import broadcast_on_commit
from guardiannest.realtime.groups import user_group
from messaging.errors import ChatError
from messaging.models import Conversation, Message
from messaging.references import BOOKING, conversation_references
from messaging.services.chat import conversation_lock, wire_time

_PAIRS = {Role.PARENT: Role.SITTER, Role.SITTER: Role.PARENT}


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


# --- read receipts ------------------------------------------------------------------------------


def _side(conversation: Conversation, user: User) -> str:
    return "parent" if user.pk == conversation.parent_id else "sitter"


@transaction.atomic
def conversation_mark_read(*, conversation: Conversation, reader: User, message_id: UUID) -> Conversation:
    """Move the reader's marker to ``message_id`` and tell the other participant; backwards is a no-op.

    The message must be of this conversation (bad input naming ``message_id``
    otherwise). Returns the conversation, changed or not.
    """
    locked = conversation_lock(conversation, reader)
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
            "read_at": wire_time(read_at),
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
                "created_at": wire_time(conversation.created_at),
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
