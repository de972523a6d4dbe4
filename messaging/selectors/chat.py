"""Read queries of the chat subdomain: a user sees only the conversations they are part of.

Anything else is "not found", never "forbidden", so conversation ids cannot
be probed. The list is one query whatever its length: both participants and
the last message come joined, the caller's unread count and read position
are annotations (a correlated count over the ``(conversation, seq)`` index).
A file attached to a message may be read by both participants
(:func:`chat_attachment_visible`, a rule the files app asks through ``file_access_rules``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from accounts.models import User
from files.models import Purpose
from guardiannest.errors import not_found
from messaging.models import Conversation, Message


def _of(user: User) -> Q:
    return Q(parent=user) | Q(sitter=user)


def conversation_list_for_user(*, user: User) -> QuerySet[Conversation]:
    """The user's conversations with ``unread_count`` and ``activity_at``, most recent activity first.

    ``unread_count`` counts the other participant's messages after the
    user's read marker. ``activity_at`` is the last message's time, or the
    conversation's creation while it has none.
    """
    read_seq = Case(
        When(parent_id=user.pk, then=Coalesce(F("parent_last_read_message__seq"), Value(0))),
        default=Coalesce(F("sitter_last_read_message__seq"), Value(0)),
        output_field=IntegerField(),
    )
    unread = (
        Message.objects.filter(conversation_id=OuterRef("pk"), seq__gt=OuterRef("read_seq"))
        .exclude(sender_id=user.pk)
        .order_by()
        .values("conversation_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Conversation.objects.filter(_of(user))
        .select_related("parent", "sitter", "last_message")
        .annotate(
            read_seq=read_seq,
            unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
            activity_at=Coalesce(F("last_message_at"), F("created_at")),
        )
        .order_by("-activity_at", "-id")
    )


def conversation_detail_for_user(*, conversation_id: UUID, user: User) -> Conversation:
    """One of the user's conversations, annotated like the list; not found for anyone else's."""
    conversation = conversation_list_for_user(user=user).filter(pk=conversation_id).first()
    if conversation is None:
        raise not_found()
    return conversation


def conversation_get_for_user(*, conversation_id: UUID, user: User) -> Conversation:
    """One of the user's conversations, plain (for writes and history); not found for anyone else's."""
    conversation = Conversation.objects.filter(_of(user), pk=conversation_id).first()
    if conversation is None:
        raise not_found()
    return conversation


def message_list_for_conversation(*, conversation: Conversation) -> QuerySet[Message]:
    """The conversation's messages, newest first. Precondition: the caller is a participant."""
    return Message.objects.filter(conversation=conversation).order_by("-seq")


def chat_attachment_visible(file: Any, user: Any) -> bool:
    """A file attached to a message may be read by both people in that conversation."""
    if file.purpose != Purpose.MESSAGE_ATTACHMENT:
        return False
    return (
        Message.objects.filter(attachment_id=file.pk)
        .filter(Q(conversation__parent_id=user.pk) | Q(conversation__sitter_id=user.pk))
        .exists()
    )
