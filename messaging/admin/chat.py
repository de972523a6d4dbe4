"""Chat in the back office: conversations, and messages flagged as asking to pay off the platform.

Read-only: staff moderate, they do not write or edit people's messages. The
pages leave the text out (it is private and encrypted at rest), except on
the page of a flagged message, where reviewing the flag needs it.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from guardiannest.admin import ReadOnlyAdmin
from messaging.models import Conversation, Message

MESSAGE_FIELDS = ("id", "conversation", "seq", "sender", "created_at", "flagged", "safety_warning", "attachment_id")


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ("id", "parent", "sitter", "created_at", "last_message_at", "last_seq")
    list_select_related = ("parent", "sitter")
    search_fields = ("=id", "=parent__email", "=sitter__email")
    list_filter = (("last_message_at", admin.DateFieldListFilter), ("booking_id", admin.EmptyFieldListFilter))
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "id",
        "parent",
        "sitter",
        "booking_id",
        "created_at",
        "last_message_at",
        "last_seq",
        "parent_last_read_at",
        "sitter_last_read_at",
    )
    readonly_fields = fields


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "conversation", "seq", "sender", "flagged", "safety_warning")
    list_filter = ("flagged", "safety_warning")
    list_select_related = ("conversation", "sender")
    search_fields = ("=id", "=conversation__id", "=sender__email")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = MESSAGE_FIELDS
    readonly_fields = (*MESSAGE_FIELDS, "body")

    def get_fields(self, request: HttpRequest, obj: Message | None = None) -> tuple[str, ...]:
        """The text only of a flagged message: reviewing the flag needs it, nothing else does."""
        return (*MESSAGE_FIELDS, "body") if obj is not None and obj.flagged else MESSAGE_FIELDS
