"""The socket's ``location`` message: the same checks, rate, storage and broadcast as ``POST bookings/{id}/locations``.

Registered in guardiannest.realtime.handlers' ``client_handlers`` by bookings'
ready(). Unlike the bare ``location_handler`` there (which only relays), every
fix is stored, so the handler runs the service in a thread; a refusal answers
an error frame with the service's code on the sender's socket only.
"""

from __future__ import annotations

import uuid
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from bookings.tracking.services import location_record
from bookings.tracking.validation import location_fixes_parse
from guardiannest.errors import ApplicationError
from guardiannest.realtime.handlers import ClientError, SocketContext


def _record(user_id: str, booking_id: str, content: dict[str, Any]) -> int:
    fixes = location_fixes_parse(content, now=timezone.now(), time_required=False)
    return location_record(sitter_id=user_id, booking_id=booking_id, fixes=fixes)


_record_async = database_sync_to_async(_record)


async def location_socket_handler(socket: SocketContext, content: dict[str, Any]) -> None:
    """``{type: "location", booking_id, latitude, longitude, accuracy_m?, recorded_at?}`` from the sitter's app."""
    try:
        booking_id = str(uuid.UUID(str(content.get("booking_id"))))
    except ValueError:
        raise ClientError("invalid", "booking_id must be a booking's id.") from None
    try:
        await _record_async(socket.user_id, booking_id, content)
    except ApplicationError as error:
        raise ClientError(str(error.code), error.detail) from None
