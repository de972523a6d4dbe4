"""Raise an SOS: a parent or a sitter presses the panic button (deduplicated per signed-in device)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role, User
from bookings.selectors import booking_get_for_user
from emergencies.errors import EmergencyError
from emergencies.models import Emergency, EmergencyKind
from emergencies.services.alerts import broadcast, logger, step_schedule
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, invalid, invalid_fields
from guardiannest.fields import LATITUDE_LIMIT, LONGITUDE_LIMIT
from guardiannest.text import clean_text

MESSAGE_MAX = 1000
SIX_PLACES = Decimal("0.000001")


def _coordinate(field: str, value: Any, limit: int) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise invalid(field, "A number of degrees.") from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise invalid(field, f"Between -{limit} and {limit}.")
    return number.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def _serialise_raises(actor_id: Any, device: str) -> None:
    """One raise at a time per user and device until commit, so two racing POSTs make one alert.

    A transaction-level advisory lock on PostgreSQL; SQLite (the embedded
    default) runs one writer at a time anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"sos:{actor_id}:{device}"])


def sos_raise(
    *,
    actor: User,
    latitude: Any,
    longitude: Any,
    booking_id: UUID | None = None,
    message: str = "",
    device: str = "",
    now: datetime | None = None,
) -> tuple[Emergency, bool]:
    """Raise an SOS; answer ``(alert, created)``.

    A parent or a sitter, during one of their bookings (another's booking is
    not found) or not. A repeat from the same ``device`` (the signed-in
    session) within ``EMERGENCY_DEDUPE_SECONDS`` answers the first alert with
    ``created`` False and changes nothing.
    """
    if actor.is_staff or actor.role not in (Role.PARENT, Role.SITTER):
        raise ApplicationError(EmergencyError.NOT_A_PARTY, "Only a parent or a sitter raises an SOS.")
    errors: dict[str, list[str]] = {}
    place: dict[str, Decimal] = {}
    for field, value, limit in (("latitude", latitude, LATITUDE_LIMIT), ("longitude", longitude, LONGITUDE_LIMIT)):
        try:
            place[field] = _coordinate(field, value, limit)
        except ApplicationError as exc:
            errors.update(exc.errors or {})
    if errors:
        raise invalid_fields(errors)
    text = clean_text(message or "", max_length=MESSAGE_MAX, field="message")
    booking = booking_get_for_user(booking_id=booking_id, user=actor) if booking_id is not None else None
    # The family told: the booking's, else the raising parent's own; a sitter outside any booking has none.
    family_id = booking.parent_id if booking is not None else (actor.pk if actor.role == Role.PARENT else None)

    with transaction.atomic():
        _serialise_raises(actor.pk, device)
        now = now or timezone.now()
        if device:
            window = now - timedelta(seconds=settings.EMERGENCY_DEDUPE_SECONDS)
            earlier = (
                Emergency.objects.filter(kind=EmergencyKind.SOS, raised_by=actor, device=device, created_at__gte=window)
                .order_by("-created_at")
                .first()
            )
            if earlier is not None:
                return earlier, False
        emergency = Emergency.objects.create(
            kind=EmergencyKind.SOS,
            raised_by=actor,
            booking=booking,
            family_id=family_id,
            device=device[:64],
            latitude=place["latitude"],
            longitude=place["longitude"],
            message=text,
            created_at=now,
        )
        step_schedule(emergency, 0, now)
        broadcast(emergency, "emergency.raised")
        audit_record(
            action="emergency.raised",
            actor=actor,
            target=emergency,
            data={"booking": str(booking.pk) if booking else None, "kind": emergency.kind},
        )
    logger.warning("emergency_raised", emergency_id=str(emergency.pk), booking_id=str(emergency.booking_id))
    return emergency, True
