"""The interface every delivery provider implements.

A provider sends one message and answers with a :class:`DeliveryResult`, or
raises :class:`TemporaryFailure` (worth retrying: network, 5xx, 429) or
:class:`PermanentFailure` (never retried: a 4xx, an invalid or unregistered
address). Providers never touch the database; the delivery service records
what they answer.

Exactly once, as far as each provider lets us. The outbox claims each row
before sending, so two workers never send it at the same time; what is left is
the attempt whose outcome nobody recorded (its worker died after the provider
took the message, or the provider's answer was lost). Before such a row is sent
again, a provider that can be asked is asked (:meth:`SmsProvider.find_sms`:
Twilio's Messages list) and a message it already holds is recorded instead of
sent twice. Email and push cannot be asked: there a repeat is made harmless
instead (one Message-ID per delivery, which mail clients and archives dedupe;
one collapse id / tag per delivery, which replaces the first notification on
the device), at least once at that boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class DeliveryResult:
    provider: str  # "smtp", "outbox", "twilio", "fcm" …
    provider_id: str = ""  # the provider's message id, for status callbacks
    status: str = (
        "sent"  # "sent", "queued" when the provider confirms later; a look-up may answer "delivered" or "failed"
    )
    error: str = ""  # the provider's reason, with "failed"


class DeliveryError(Exception):
    def __init__(self, reason: str, *, provider_code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.provider_code = provider_code


class TemporaryFailure(DeliveryError):
    """Try again later (with capped backoff).

    ``maybe_sent``: the provider may have taken the message all the same (no
    answer, a 5xx): the next attempt asks it first where it can be asked.
    """

    def __init__(self, reason: str, *, provider_code: str = "", maybe_sent: bool = False) -> None:
        super().__init__(reason, provider_code=provider_code)
        self.maybe_sent = maybe_sent


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

    def find_sms(self, message: SmsMessage, *, idempotency_key: str, since: datetime) -> list[DeliveryResult]:
        """The messages the provider took since ``since`` that may be this one (same number and text), oldest first.

        Raises :class:`TemporaryFailure` when the provider cannot be asked now.
        """
        ...


class PushProvider(Protocol):
    def send_push(self, message: PushMessage, *, idempotency_key: str) -> DeliveryResult: ...
