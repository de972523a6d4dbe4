"""What a kind of notification is, and the registry every app adds its kinds to.

A kind says which category it belongs to (what a user's preferences act on),
which channels it goes out on by default, whether it can be switched off,
which templates render it and which Celery queue delivers it. Each app
registers its own kinds in its ``AppConfig.ready()`` (``sitter.*`` in sitters,
``booking.*`` in bookings, ...); a name nobody registered is refused. Apps never
pick channels or render messages themselves: they call
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

from guardiannest.registries import QUEUE_CRITICAL, QUEUE_DEFAULT, Registry

__all__ = [
    "MANDATORY_CATEGORIES",
    "NEVER",
    "OPT_IN_CATEGORIES",
    "QUEUE_CRITICAL",
    "QUEUE_DEFAULT",
    "Category",
    "Channel",
    "Kind",
    "KindAction",
    "all_kinds",
    "get_kind",
    "notification_kinds",
    "register",
]


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


@dataclass(frozen=True)
class KindAction:
    """A button on a rich push (a booking request's accept and decline)."""

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


notification_kinds: Registry[Kind] = Registry("notification_kinds")


def register(*kinds: Kind) -> None:
    """Add an app's kinds (from its ``AppConfig.ready()``); a second, different kind of the same name is refused."""
    for kind in kinds:
        notification_kinds.register(kind.name, kind)


def get_kind(name: str) -> Kind:
    """The kind called ``name``; KeyError for a name no app registered (a programming error)."""
    kind = notification_kinds.get(name)
    if kind is None:
        raise KeyError(f"no app registered the notification kind {name!r}")
    return kind


def all_kinds() -> list[Kind]:
    return [kind for _, kind in notification_kinds.items()]
