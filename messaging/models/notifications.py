"""Tables of the notifications subdomain: the in-app inbox, the outbox, and preferences.

A notification is one row the user sees in the app; each channel it goes out
on (email, SMS, each push device) is one :class:`Delivery` row of the outbox,
written in the same transaction, before anything is sent. Workers claim a
delivery with a conditional update, so a row is sent by one worker at a time,
and a beat job re-drives rows whose task was lost.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from guardiannest.crypto.fields import EncryptedJSONField, EncryptedTextField
from messaging.kinds import Category, Channel

__all__ = ["Delivery", "Notification", "NotificationPreference"]


class Notification(models.Model):
    """What the user sees in the app's notification list.

    Title and body are rendered once, in the language of the moment, and kept
    encrypted: they can name people and places. ``data`` holds ids the app
    links to (``booking_id`` …), never personal data.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        help_text="Who it is for; empty for someone without an account (a family's emergency contact).",
    )
    # Someone without an account is reached at the addresses a user gave for them: the row is that
    # user's data (erased with their account) and shows in nobody's in-app list.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="For a contact without an account: the user who gave their addresses.",
    )
    recipient_name = EncryptedTextField(blank=True, help_text="A contact's name (no account).")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who caused it (the sender of a message, the parent who booked); empty for the system.",
    )
    kind = models.CharField(max_length=64)
    category = models.CharField(max_length=16, choices=[(c.value, c.value) for c in Category])
    title = EncryptedTextField()
    body = EncryptedTextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="messaging_notif_user_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(category__in=[c.value for c in Category]), name="messaging_notif_category_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(on_behalf_of__isnull=False),
                name="messaging_notif_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id or 'a contact of ' + str(self.on_behalf_of_id)}"


class Delivery(models.Model):
    """One message on one channel to one address: the outbox row a worker sends from.

    ``delivery_key`` is unique and is handed to the provider as its
    idempotency key, so a re-driven row the provider already took is not sent
    twice where the provider honours keys (the embedded outbox overwrites its
    own file). ``claimed_at`` is when a worker moved the row to ``sending``; a
    row still sending past its lane's lease lost its worker. Each claim also
    sets ``maybe_sent_since`` (unless already set) and only a known outcome
    clears it, so a row claimed with it already set is one the provider may
    hold: it is looked up there before it is sent again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        DELIVERED = "delivered"
        FAILED = "failed"
        SKIPPED = "skipped"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=64, help_text="The notification's kind: picks the queue on re-drive.")
    channel = models.CharField(max_length=8, choices=[(c.value, c.value) for c in Channel])
    address = EncryptedTextField(blank=True, help_text="Email address, phone number or device token.")
    payload = EncryptedJSONField(default=dict, help_text="The rendered message.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    maybe_sent_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Start of the earliest attempt whose outcome nobody recorded (its worker died, or the provider's "
        "answer was lost): the provider is asked whether it took the message before it is sent again.",
    )
    last_error = models.CharField(max_length=255, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    provider_id = models.CharField(max_length=255, blank=True, db_index=True)
    delivery_key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at"]
        indexes = [
            # The re-drive job only ever looks at rows still in flight.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="messaging_delivery_inflight",
                condition=models.Q(status__in=["queued", "sending"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "delivered", "failed", "skipped"]),
                name="messaging_delivery_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=[c.value for c in Channel]), name="messaging_delivery_channel_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sending") | models.Q(claimed_at__isnull=False),
                name="messaging_delivery_sending_is_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} {self.status}"


class NotificationPreference(models.Model):
    """A user's choices per category and channel, as overrides of the defaults.

    Only what the user changed is stored (``{"booking": {"sms": false}}``), so
    a default that changes later reaches everyone who never touched it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="notification_preference"
    )
    overrides = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"
