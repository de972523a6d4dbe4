"""Every kind of notification the platform sends, in one registry.

A kind says which category it belongs to (what a user's preferences act on),
which channels it goes out on by default, whether it can be switched off,
which templates render it and which Celery queue delivers it. Apps never pick
channels or render messages themselves: they call
:func:`messaging.services.notifications.notify` with a kind's name and the
context its templates need.

Templates live under ``templates/notifications/<kind>/``: ``title.txt`` (the
email subject, the push title and the in-app title), ``body.txt`` (the push
body and the in-app text), ``email.html`` and ``email.txt`` (both parts of the
email), and ``sms.txt`` for kinds that may go out by SMS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Category(StrEnum):
    """What a user's preferences are set per. ``account`` and ``emergency`` cannot be switched off."""

    ACCOUNT = "account"
    BOOKING = "booking"
    PAYMENT = "payment"
    CHAT = "chat"
    EMERGENCY = "emergency"
    MARKETING = "marketing"


class Channel(StrEnum):
    """Channels a delivery goes out on. In-app is not one: every notification is stored in-app."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


# Security and safety messages reach people whatever they chose.
MANDATORY_CATEGORIES = frozenset({Category.ACCOUNT, Category.EMERGENCY})
# Sent only to people who asked for it, and never by SMS.
OPT_IN_CATEGORIES = frozenset({Category.MARKETING})
NEVER = {Category.MARKETING: frozenset({Channel.SMS})}

QUEUE_DEFAULT = "default"
QUEUE_CRITICAL = "critical"


@dataclass(frozen=True)
class KindAction:
    """A button on a rich push (``booking.requested``: accept, decline)."""

    id: str
    title: str | Promise


@dataclass(frozen=True)
class Kind:
    name: str
    category: Category
    channels: frozenset[Channel]
    # Context keys the templates cannot do without; notify() refuses a call that lacks one.
    required: tuple[str, ...] = ()
    # Context keys copied to the in-app row and the push data: ids, never personal data.
    data_keys: tuple[str, ...] = ()
    actions: tuple[KindAction, ...] = ()
    priority: str = "normal"  # "high" wakes a sleeping phone (emergencies)
    queue: str = QUEUE_DEFAULT
    template_dir: str = field(default="")

    def __post_init__(self) -> None:
        if not self.template_dir:
            object.__setattr__(self, "template_dir", f"notifications/{self.name}")
        forbidden = self.channels & NEVER.get(self.category, frozenset())
        if forbidden:
            raise ValueError(f"{self.name}: {self.category} is never sent by {', '.join(sorted(forbidden))}")

    @property
    def can_disable(self) -> bool:
        return self.category not in MANDATORY_CATEGORIES

    @property
    def opt_in(self) -> bool:
        return self.category in OPT_IN_CATEGORIES

    def template(self, part: str) -> str:
        """``title.txt``, ``body.txt``, ``email.html``, ``email.txt`` or ``sms.txt`` of this kind."""
        return f"{self.template_dir}/{part}"


_REGISTRY: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.name in _REGISTRY and _REGISTRY[kind.name] != kind:
        raise ValueError(f"notification kind {kind.name!r} is already registered")
    _REGISTRY[kind.name] = kind
    return kind


def get_kind(name: str) -> Kind:
    """The kind called ``name``; KeyError for a name nobody registered (a programming error)."""
    return _REGISTRY[name]


def all_kinds() -> list[Kind]:
    return list(_REGISTRY.values())


EMAIL, SMS, PUSH = Channel.EMAIL, Channel.SMS, Channel.PUSH
BOOKING_DATA = ("booking_id",)
BOOKING_NEEDS = ("booking_id", "other_name", "starts_at")

for _kind in (
    # --- account: security messages, always sent ---------------------------------------------
    Kind("account.verification", Category.ACCOUNT, frozenset({EMAIL}), required=("link",)),
    Kind("account.password_reset", Category.ACCOUNT, frozenset({EMAIL}), required=("link",)),
    Kind("account.new_sign_in", Category.ACCOUNT, frozenset({EMAIL, PUSH}), required=("when",)),
    Kind("account.mfa_changed", Category.ACCOUNT, frozenset({EMAIL, PUSH}), required=("change",)),
    # --- sitters: vetting and credentials -----------------------------------------------------
    Kind(
        "sitter.verification_decided",
        Category.ACCOUNT,
        frozenset({EMAIL, PUSH}),
        required=("decision", "check"),
        data_keys=("check_id",),
    ),
    Kind(
        "sitter.certification_expiring",
        Category.ACCOUNT,
        frozenset({EMAIL, PUSH}),
        required=("certification", "expires_at"),
        data_keys=("certification_id",),
    ),
    # --- bookings ----------------------------------------------------------------------------
    Kind(
        "booking.requested",
        Category.BOOKING,
        frozenset({EMAIL, PUSH}),
        required=BOOKING_NEEDS,
        data_keys=BOOKING_DATA,
        actions=(KindAction("accept", _("Accept")), KindAction("decline", _("Decline"))),
    ),
    Kind("booking.accepted", Category.BOOKING, frozenset({EMAIL, PUSH}), BOOKING_NEEDS, BOOKING_DATA),
    Kind("booking.declined", Category.BOOKING, frozenset({EMAIL, PUSH}), BOOKING_NEEDS, BOOKING_DATA),
    Kind("booking.reminder", Category.BOOKING, frozenset({PUSH, SMS}), BOOKING_NEEDS, BOOKING_DATA),
    Kind("booking.cancelled", Category.BOOKING, frozenset({EMAIL, PUSH, SMS}), BOOKING_NEEDS, BOOKING_DATA),
    Kind("booking.completed", Category.BOOKING, frozenset({EMAIL, PUSH}), BOOKING_NEEDS, BOOKING_DATA),
    # --- payments ----------------------------------------------------------------------------
    Kind("payment.receipt", Category.PAYMENT, frozenset({EMAIL}), ("amount", "payment_id"), ("payment_id",)),
    Kind("payment.refund", Category.PAYMENT, frozenset({EMAIL, PUSH}), ("amount", "payment_id"), ("payment_id",)),
    Kind("payment.payout", Category.PAYMENT, frozenset({EMAIL, PUSH}), ("amount",), ("payout_id",)),
    # --- chat: a message while the recipient has no socket open -----------------------------
    Kind(
        "chat.message_offline",
        Category.CHAT,
        frozenset({PUSH}),
        required=("sender_name", "conversation_id"),
        data_keys=("conversation_id", "message_id"),
    ),
    # --- emergencies: every channel, high priority, their own queue ---------------------------
    Kind(
        "emergency.raised",
        Category.EMERGENCY,
        frozenset({EMAIL, PUSH, SMS}),
        required=("emergency_id", "raised_by"),
        data_keys=("emergency_id", "booking_id"),
        priority="high",
        queue=QUEUE_CRITICAL,
    ),
    # --- marketing: opt-in only, one-click unsubscribe, never SMS ------------------------------
    Kind("marketing.newsletter", Category.MARKETING, frozenset({EMAIL}), required=("headline",)),
):
    register(_kind)
