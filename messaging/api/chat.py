"""Chat between a parent and a sitter (API.md, Messaging).

``conversations``: GET lists the caller's conversations, most recent activity
first, each with the other participant's public details, a preview of the
last message and the caller's unread count. POST ``{participant_id}`` starts
the one conversation of the pair (201) or returns it (200); ``{booking_id}``
does the same for a booking's parent and sitter (anyone else, 404).

``conversations/{id}/messages``: GET is the history, newest first, cursor
paginated; POST ``{body, attachment_id?}`` sends (201). Text is cleaned of
markup (nh3); empty, blank or longer than 4,000 characters after cleaning is
400. ``attachment_id`` names one of the sender's own uploads made with the
purpose ``message_attachment``, processed and not rejected (else 400
``unknown_attachment``); both people in the conversation may then read that
file. Sending is throttled (scope ``chat``, 429). Both participants' sockets receive
``message.created``; a recipient without a socket gets a push.

``conversations/{id}/read`` ``{message_id}``: moves the caller's read marker
(never backwards) and sends ``message.read`` to the other participant.

Someone else's conversation answers 404 on every route.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.parsers import JSONObject
from guardiannest.api.serializers import CleanTextField, StrictSerializer
from messaging.models import Conversation
from messaging.models.chat import BODY_MAX_LENGTH
from messaging.selectors import chat as selectors
from messaging.services import chat as services
from messaging.services import conversations

TAGS = ["chat"]


def _user(request: Request) -> User:
    return cast(User, request.user)


# --- wire shapes --------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ChatSafetyWarning")
class SafetyWarningSerializer(serializers.Serializer):
    """Shown with a message that seems to ask for payment outside the platform."""

    code = serializers.ChoiceField(choices=["off_platform_payment"])
    detail = serializers.CharField()


@extend_schema_serializer(component_name="ChatMessage")
class MessageSerializer(serializers.Serializer):
    """A message; ``message.created`` events carry exactly this object."""

    id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    sender_id = serializers.UUIDField()
    body = serializers.CharField()
    attachment_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    safety_warning = SafetyWarningSerializer(allow_null=True)


@extend_schema_serializer(component_name="ChatParticipant")
class ParticipantSerializer(serializers.Serializer):
    """The other participant's public details."""

    id = serializers.UUIDField()
    first_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices, help_text="parent or sitter.")


@extend_schema_serializer(component_name="ChatLastMessage")
class LastMessageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    sender_id = serializers.UUIDField()
    preview = serializers.CharField(help_text=f"The first {services.PREVIEW_LENGTH} characters.")
    created_at = serializers.DateTimeField()
    safety_warning = SafetyWarningSerializer(allow_null=True)


@extend_schema_serializer(component_name="Conversation")
class ConversationSerializer(serializers.Serializer):
    """A conversation as one of its participants sees it."""

    id = serializers.UUIDField()
    participant = ParticipantSerializer()
    booking_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    last_message = LastMessageSerializer(allow_null=True)
    unread_count = serializers.IntegerField(help_text="The other participant's messages after your read marker.")
    last_read_message_id = serializers.UUIDField(allow_null=True, help_text="Your read marker.")
    last_read_at = serializers.DateTimeField(allow_null=True)
    participant_last_read_message_id = serializers.UUIDField(
        allow_null=True, help_text="The other participant's read marker (read receipts)."
    )
    participant_last_read_at = serializers.DateTimeField(allow_null=True)


def _as_seen_by(conversation: Conversation, user: User) -> dict[str, Any]:
    """Precondition: ``conversation`` comes from a selector that annotated it for ``user``."""
    mine, theirs = ("parent", "sitter") if user.pk == conversation.parent_id else ("sitter", "parent")
    other: User = getattr(conversation, theirs)
    last = conversation.last_message
    return {
        "id": conversation.pk,
        "participant": {"id": other.pk, "first_name": other.first_name, "role": other.role},
        "booking_id": conversation.booking_id,
        "created_at": conversation.created_at,
        "last_message_at": conversation.last_message_at,
        "last_message": None
        if last is None
        else {
            "id": last.pk,
            "sender_id": last.sender_id,
            "preview": last.body[: services.PREVIEW_LENGTH],
            "created_at": last.created_at,
            "safety_warning": services.safety_warning_data(last.safety_warning),
        },
        "unread_count": getattr(conversation, "unread_count", 0),
        "last_read_message_id": getattr(conversation, f"{mine}_last_read_message_id"),
        "last_read_at": getattr(conversation, f"{mine}_last_read_at"),
        "participant_last_read_message_id": getattr(conversation, f"{theirs}_last_read_message_id"),
        "participant_last_read_at": getattr(conversation, f"{theirs}_last_read_at"),
    }


def _conversation_data(conversation_id: UUID, user: User) -> dict[str, Any]:
    conversation = selectors.conversation_detail_for_user(conversation_id=conversation_id, user=user)
    return ConversationSerializer(_as_seen_by(conversation, user)).data


# --- input --------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ConversationStart")
class ConversationStartSerializer(StrictSerializer):
    """Name the other person (``participant_id``) or a booking of yours (``booking_id``)."""

    participant_id = serializers.UUIDField(required=False, help_text="A parent's or a sitter's user id.")
    booking_id = serializers.UUIDField(
        required=False, help_text="A booking of yours: opens its parent's and sitter's conversation (else 404)."
    )

    one_of = ("participant_id", "booking_id")


@extend_schema_serializer(component_name="ChatMessageSend")
class MessageSendSerializer(StrictSerializer):
    body = CleanTextField(max_length=BODY_MAX_LENGTH, help_text="Plain text; markup is removed.")
    attachment_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="One of your uploads with purpose message_attachment (POST files); the other person may read it.",
    )


_SEND_FIELDS = MessageSendSerializer().fields  # bound once; a field's run_validation keeps no state of a call


def _message_input(data: Any) -> tuple[str, UUID | None] | None:
    """The cleaned body and attachment id of a valid ordinary message body, checked field by field; else None.

    The same fields and rules as :class:`MessageSendSerializer`, without
    building a serializer per request: only for a JSON object with a text
    ``body`` and at most ``attachment_id`` (text or null) beside it. Anything
    else, and any value a field refuses, goes to the serializer, which words
    the answer: the refusals are the serializer's own.
    """
    if not isinstance(data, JSONObject) or not isinstance(data.get("body"), str):
        return None
    attachment = data.get("attachment_id")
    if len(data) > 1 + ("attachment_id" in data) or not (attachment is None or isinstance(attachment, str)):
        return None
    try:
        body = _SEND_FIELDS["body"].run_validation(data["body"])
        attachment_id = None if attachment is None else _SEND_FIELDS["attachment_id"].run_validation(attachment)
    except serializers.ValidationError:
        return None
    return body, attachment_id


@extend_schema_serializer(component_name="ConversationReadReceipt")
class ReadReceiptSerializer(StrictSerializer):
    message_id = serializers.UUIDField(help_text="The newest message you have read, of this conversation.")


# --- views --------------------------------------------------------------------------------------


class ChatThrottledApi(APIView):
    """POSTs count against the ``chat`` rate (per user); reads do not."""

    @property
    def throttle_scope(self) -> str | None:
        return "chat" if self.request.method == "POST" else None


class ConversationListApi(ChatThrottledApi):
    class Pagination(CursorPagination):
        ordering = ("-activity_at", "-id")  # type: ignore[assignment]  # DRF takes a tuple; the stub says str

    pagination_class = Pagination

    @extend_schema(responses={200: ConversationSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        user = _user(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.conversation_list_for_user(user=user), request, self) or []
        data = ConversationSerializer([_as_seen_by(conversation, user) for conversation in page], many=True).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        request=ConversationStartSerializer,
        responses={201: ConversationSerializer, 200: ConversationSerializer},
        description="201 with a new conversation; 200 with the pair's existing one.",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = ConversationStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        if "booking_id" in data.validated_data:
            conversation, created = conversations.conversation_start_for_booking(
                actor=user, booking_id=data.validated_data["booking_id"]
            )
        else:
            conversation, created = conversations.conversation_start(
                actor=user, participant_id=data.validated_data["participant_id"]
            )
        return Response(
            _conversation_data(conversation.pk, user),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ConversationDetailApi(APIView):
    @extend_schema(responses={200: ConversationSerializer}, tags=TAGS)
    def get(self, request: Request, conversation_id: UUID) -> Response:
        return Response(_conversation_data(conversation_id, _user(request)))


class MessageListApi(ChatThrottledApi):
    class Pagination(CursorPagination):
        ordering = "-seq"

    pagination_class = Pagination

    @extend_schema(responses={200: MessageSerializer(many=True)}, tags=TAGS, description="Newest first.")
    def get(self, request: Request, conversation_id: UUID) -> Response:
        conversation = selectors.conversation_get_for_user(conversation_id=conversation_id, user=_user(request))
        paginator = self.pagination_class()
        messages = selectors.message_list_for_conversation(conversation=conversation)
        page = paginator.paginate_queryset(messages, request, self) or []
        return paginator.get_paginated_response([services.message_event_data(message) for message in page])

    @extend_schema(request=MessageSendSerializer, responses={201: MessageSerializer}, tags=TAGS)
    def post(self, request: Request, conversation_id: UUID) -> Response:
        user = _user(request)
        try:
            valid = _message_input(request.data)
            if valid is None:
                data = MessageSendSerializer(data=request.data)
                data.is_valid(raise_exception=True)
                valid = data.validated_data["body"], data.validated_data.get("attachment_id")
        except Exception:  # bad JSON, wrong media type, too large, invalid fields
            # Someone else's conversation answers 404 before any hint from the input. A valid message
            # needs no look-up first: the statement that stores it checks the sender is in the conversation.
            selectors.conversation_get_for_user(conversation_id=conversation_id, user=user)
            raise
        body, attachment_id = valid
        message = services.message_send(
            conversation_id=conversation_id, sender=user, body=body, attachment_id=attachment_id
        )
        return Response(services.message_event_data(message), status=status.HTTP_201_CREATED)


class ConversationReadApi(APIView):
    @extend_schema(request=ReadReceiptSerializer, responses={200: ConversationSerializer}, tags=TAGS)
    def post(self, request: Request, conversation_id: UUID) -> Response:
        user = _user(request)
        conversation = selectors.conversation_get_for_user(conversation_id=conversation_id, user=user)
        data = ReadReceiptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversations.conversation_mark_read(
            conversation=conversation, reader=user, message_id=data.validated_data["message_id"]
        )
        return Response(_conversation_data(conversation.pk, user))


urlpatterns = [
    path("conversations", ConversationListApi.as_view(), name="conversations"),
    path("conversations/<uuid:conversation_id>", ConversationDetailApi.as_view(), name="conversation-detail"),
    path("conversations/<uuid:conversation_id>/messages", MessageListApi.as_view(), name="conversation-messages"),
    path("conversations/<uuid:conversation_id>/read", ConversationReadApi.as_view(), name="conversation-read"),
]
