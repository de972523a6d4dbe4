"""Tables of the chat subdomain: one conversation per parent-sitter pair, and its messages.

The two participants are stored in a canonical order, by role: ``parent`` and
``sitter``. A pair therefore has exactly one spelling, and a unique constraint
on it makes "one conversation per pair" a fact of the data rather than a
hope of the service (two racing first messages meet at the index).

Messages are numbered per conversation (``seq``, allocated under the
conversation's row lock). Read markers, unread counts and history cursors
compare numbers, never timestamps, so two messages in the same microsecond or
a clock step backwards cannot make a message unread twice or skip it.

What people write to each other is personal (addresses, door codes, a child's
routine), so the body is encrypted at rest like family data
(:mod:`guardiannest.crypto.fields`): a database dump reveals none of it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from guardiannest.crypto.fields import EncryptedTextField

__all__ = ["Conversation", "Message", "SafetyWarning"]

BODY_MAX_LENGTH = 4000


class SafetyWarning(models.TextChoices):
    """Why a message carries a warning for its recipient; empty when it carries none."""

    NONE = "", "None"
    OFF_PLATFORM_PAYMENT = "off_platform_payment", "Asks to pay outside GuardianNest"


class Conversation(models.Model):
    """The one thread between a parent and a sitter.

    ``booking_id`` is the booking it was opened for, if any (no foreign key:
    messaging sits below bookings; see :mod:`messaging.references`). ``last_message`` and
    ``last_message_at`` are kept by :func:`messaging.services.chat.message_send`
    so the list of conversations needs no per-row query. Each side's read
    marker (``*_last_read_message``) only moves forward.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Looked up through the (parent, sitter) unique index; sitter has its own.
    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations_as_parent", db_index=False
    )
    sitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations_as_sitter"
    )
    booking_id = models.UUIDField(null=True, blank=True, help_text="The booking it belongs to (bookings app, later).")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_seq = models.PositiveBigIntegerField(default=0, help_text="Number of the latest message.")
    parent_last_read_message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    parent_last_read_at = models.DateTimeField(null=True, blank=True)
    sitter_last_read_message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sitter_last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "sitter"], name="messaging_conversation_one_per_pair"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("sitter")), name="messaging_conversation_two_people"
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk}"

    def participant_ids(self) -> tuple[uuid.UUID, uuid.UUID]:
        return (self.parent_id, self.sitter_id)

    def other_participant_id(self, user_id: uuid.UUID) -> uuid.UUID:
        """The id of the participant who is not ``user_id`` (a participant)."""
        return self.sitter_id if user_id == self.parent_id else self.parent_id


class Message(models.Model):
    """One message; the body is plain text cleaned with nh3 before it is stored, and encrypted.

    ``flagged`` is for staff (an admin list filter); ``safety_warning`` is what
    the recipient is shown. ``attachment_id`` will name a file of the files
    app once it exists (no foreign key yet).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Looked up through the (conversation, seq) unique index.
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False)
    seq = models.PositiveBigIntegerField(help_text="1, 2, 3... within the conversation.")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages")
    body = EncryptedTextField()
    attachment_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    flagged = models.BooleanField(default=False, help_text="Looks like a request to pay outside the platform.")
    safety_warning = models.CharField(max_length=32, choices=SafetyWarning.choices, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="messaging_message_seq_unique"),
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="messaging_message_seq_positive"),
            models.CheckConstraint(
                condition=models.Q(safety_warning__in=SafetyWarning.values), name="messaging_message_warning_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="messaging_message_flagged_idx",
                condition=models.Q(flagged=True),
            )
        ]

    def __str__(self) -> str:
        return f"Message {self.seq} of {self.conversation_id}"
