"""The interface every delivery provider implements.

A provider sends one message and answers with a :class:`DeliveryResult`, or
raises :class:`TemporaryFailure` (worth retrying: network, 5xx, 429) or
:class:`PermanentFailure` (never retried: a 4xx, an invalid or unregistered
address). Providers never touch the database; the delivery service records
what they answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class DeliveryResult:
    provider: str  # "smtp", "outbox", "twilio", "fcm" …
    provider_id: str = ""  # the provider's message id, for status callbacks
    status: str = "sent"  # "sent", or "queued" when the provider confirms later


class DeliveryError(Exception):
    def __init__(self, reason: str, *, provider_code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.provider_code = provider_code


class TemporaryFailure(DeliveryError):
    """Try again later (with capped backoff)."""


class PermanentFailure(DeliveryError):
    """Never retry: the address or the message is refused for good."""


class AddressGone(PermanentFailure):
    """The address no longer exists (an unregistered push token): remove it."""


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    status_callback: str = ""  # public URL Twilio reports delivery status to


@dataclass(frozen=True)
class PushAction:
    id: str
    title: str


@dataclass(frozen=True)
class PushMessage:
    token: str
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)
    image_url: str = ""
    actions: tuple[PushAction, ...] = ()
    platform: str = "android"  # ios | android | web
    priority: str = "normal"  # "high" wakes a sleeping phone at once (emergencies); "normal" may be batched


class EmailProvider(Protocol):
    def send_email(self, message: EmailMessage, *, idempotency_key: str) -> DeliveryResult: ...


class SmsProvider(Protocol):
    def send_sms(self, message: SmsMessage, *, idempotency_key: str) -> DeliveryResult: ...


class PushProvider(Protocol):
    def send_push(self, message: PushMessage, *, idempotency_key: str) -> DeliveryResult: ...
