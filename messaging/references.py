"""What a conversation may be opened for besides a person: another app's object (a booking), without knowing it.

Messaging sits below bookings and never imports it. An app whose objects have
a parent and a sitter registers, when it loads, a resolver under the name of
the reference::

    conversation_references.register("booking", booking_parties)

:func:`messaging.services.chat.conversation_start_for_booking` asks it who the
parties of the booking are, as the caller may see them: ``(parent id, sitter
id)``, or None when there is no such object or the caller is not one of its
parties (answered 404 alike, so a booking id reveals nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from guardiannest.registries import Registry

# (reference id, the caller) → (parent id, sitter id), or None: not found or not the caller's.
PartiesResolver = Callable[[UUID, Any], tuple[UUID, UUID] | None]
conversation_references: Registry[PartiesResolver] = Registry("conversation_references")

BOOKING = "booking"
