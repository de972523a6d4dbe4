"""A booking's safety timers, as emergency alerts: opened on bookings' word, resolved when their reason is gone.

Bookings decide when (``bookings.tracking.services.safety``) and call these
through the registry they expose (``bookings.tracking.alerts``; filled in
emergencies' ``AppConfig.ready()``), inside their transaction with the booking
row locked. An alert of kind ``missed_check_in`` or ``parent_overdue`` then
lives exactly like an SOS: step 0 committed with it, ``emergency.raised`` to
the parties' and staff sockets after commit, the ladder climbing until someone
acknowledges or resolves it, in the admin with its kind.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db import IntegrityError, transaction

from accounts.models import User
from bookings.models import Booking
from emergencies.models import TIMER_KINDS, Emergency, EmergencyResponse, EmergencyStatus
from emergencies.services.alerts import broadcast, logger, step_schedule
from emergencies.services.answers import stop_ladder
from guardiannest.audit.services import audit_record

PLATFORM = "platform"  # the role an automatic resolution is recorded with when no one made the move


def emergency_timer_raise(
    *,
    booking: Booking,
    kind: str,
    raised_by: User | None,
    latitude: Decimal | None,
    longitude: Decimal | None,
    now: datetime,
) -> tuple[Emergency, bool]:
    """Open the alert of timer ``kind`` for ``booking``; answer it and whether it is new.

    One per booking and kind: the first is answered again (False). Bookings
    hold the booking's row lock, so openers queue; the partial unique
    constraint (``emergencies_timer_alert_once``) holds even for one that took
    no lock. ``raised_by`` is None when the platform raised it (a missed
    check-in): then the ladder tells the parent and the sitter both.
    """
    if kind not in TIMER_KINDS:
        raise ValueError(f"{kind!r} is not a safety timer's kind")
    existing = Emergency.objects.filter(booking=booking, kind=kind).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves the caller's transaction usable
            emergency = Emergency.objects.create(
                kind=kind,
                raised_by=raised_by,
                booking=booking,
                family_id=booking.parent_id,
                latitude=latitude,
                longitude=longitude,
                created_at=now,
            )
    except IntegrityError:
        return Emergency.objects.get(booking=booking, kind=kind), False
    step_schedule(emergency, 0, now)
    broadcast(emergency, "emergency.raised")
    audit_record(
        action="emergency.raised",
        actor=raised_by,
        target=emergency,
        data={"booking": str(booking.pk), "kind": kind},
    )
    logger.warning("emergency_raised", emergency_id=str(emergency.pk), booking_id=str(booking.pk), kind=kind)
    return emergency, True


def emergency_timer_resolve(*, alert_id: UUID, actor: User | None, reason: str, now: datetime) -> bool:
    """Resolve a timer's alert whose reason is gone (the sitter checked in, the booking was checked out).

    Recorded as a resolution by ``actor`` (who made the booking move; None: the
    platform) with ``reason`` as its notes; the ladder stops and
    ``emergency.updated`` goes out with ``automatic: true``. An alert already
    resolved by someone keeps their resolution (False). An SOS is never
    resolved this way: only people resolve an SOS.
    """
    with transaction.atomic():  # the caller's (the booking move's), or one of its own
        emergency = (
            Emergency.objects.select_for_update(of=("self",))
            .select_related("booking")
            .filter(pk=alert_id, kind__in=TIMER_KINDS)
            .first()
        )
        if emergency is None or emergency.status == EmergencyStatus.RESOLVED:
            return False
        role = PLATFORM if actor is None else ("staff" if actor.is_staff else str(actor.role))
        EmergencyResponse.objects.create(
            emergency=emergency,
            action=EmergencyResponse.Action.RESOLVED,
            actor=actor,
            actor_role=role,
            created_at=now,
        )
        emergency.status = EmergencyStatus.RESOLVED
        emergency.resolved_at = now
        emergency.resolved_by = actor
        emergency.resolution_notes = reason
        emergency.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_notes"])
        cancelled = stop_ladder(emergency, now)
        broadcast(
            emergency,
            "emergency.updated",
            resolved_by={"id": str(actor.pk) if actor else None, "role": role},
            automatic=True,
        )
        audit_record(
            action="emergency.resolved",
            actor=actor,
            target=emergency,
            data={"steps_cancelled": cancelled, "automatic": True, "kind": emergency.kind},
        )
    return True
