"""Every change to an alert: raise, run a step of its ladder, acknowledge, resolve; and the re-drive.

Built as a pager is built:

- The alert row and its first step are committed before anything leaves.
  After commit, ``emergency.raised`` goes to the sockets of the parties and of
  staff, and the first step's task goes to the ``critical`` queue.
- A step runs in one transaction that locks the alert, then the step; it
  claims the step (pending → sent), writes its notifications through
  messaging (whose outbox sends them after commit, on the critical queue), and
  writes the next step, due ``EMERGENCY_ESCALATION_SECONDS`` later. A second
  worker running the same step waits for the lock and then finds it sent; a
  worker that dies mid-step rolls back, and the step is still pending for the
  re-drive. So a step is sent exactly once.
- Acknowledge and resolve lock the alert and cancel the pending steps in the
  same transaction: the ladder stops, whichever comes first.
- :func:`escalation_redrive` (beat) runs every step past due whose task never
  came (a dead worker, a Redis restart): the ladder lives in the database.

Every service takes ``now`` so a test can move the clock instead of waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any
from uuid import UUID

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role, User
from bookings.selectors import booking_get_for_user
from emergencies.errors import EmergencyError
from emergencies.ladder import ON_CALL_ONLY, Audience, rung_for
from emergencies.models import Emergency, EmergencyResponse, EmergencyStatus, EscalationStep, StepStatus
from emergencies.selectors import Recipient, emergency_get_for_user, emergency_groups, recipients_for_rung
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, invalid, invalid_fields
from guardiannest.fields import LATITUDE_LIMIT, LONGITUDE_LIMIT
from guardiannest.realtime.events import broadcast_on_commit
from guardiannest.text import clean_text
from messaging.services.notifications import Contact, NotifyRequest, notify_bulk

logger = structlog.get_logger(__name__)

MESSAGE_MAX = 1000
NOTES_MAX = 4000
CLOCK_SKEW = timedelta(seconds=2)  # between the web process, beat and the workers
REDRIVE_GRACE = timedelta(seconds=10)  # a step due this long without its task running lost its task
REDRIVE_BATCH = 200
ETA_LIMIT = timedelta(minutes=15)
SIX_PLACES = Decimal("0.000001")


# --- events ----------------------------------------------------------------------------------


def emergency_event_data(emergency: Emergency) -> dict[str, Any]:
    """What ``emergency.raised`` and ``emergency.updated`` carry: enough to show the alert and a map."""
    return {
        "id": str(emergency.pk),
        "status": emergency.status,
        "booking_id": str(emergency.booking_id) if emergency.booking_id else None,
        "raised_by": str(emergency.raised_by_id),
        "latitude": str(emergency.latitude),
        "longitude": str(emergency.longitude),
        "message": emergency.message,
        "created_at": emergency.created_at.isoformat(),
        "acknowledged_at": emergency.acknowledged_at.isoformat() if emergency.acknowledged_at else None,
        "resolved_at": emergency.resolved_at.isoformat() if emergency.resolved_at else None,
    }


def _broadcast(emergency: Emergency, event_type: str, **extra: Any) -> None:
    broadcast_on_commit(emergency_groups(emergency=emergency), event_type, emergency_event_data(emergency) | extra)


def _step_enqueue(step_id: int, due_at: datetime) -> None:
    """Send a step's task to the critical queue for its due time; a failed publish is left to the re-drive.

    A step due later than :data:`ETA_LIMIT` is left to the re-drive too: a
    broker ETA near the visibility timeout is delivered twice (harmless, the
    claim decides, but pointless).
    """
    from emergencies.tasks import escalation_step_run_task

    if due_at - timezone.now() > ETA_LIMIT:
        return
    try:
        escalation_step_run_task.apply_async(args=(step_id,), eta=due_at)
    except Exception:
        logger.exception("escalation_step_enqueue_failed", step_id=step_id)


def _schedule(emergency: Emergency, number: int, due_at: datetime) -> EscalationStep:
    step, _ = EscalationStep.objects.get_or_create(
        emergency=emergency, number=number, defaults={"rung": rung_for(number).key, "due_at": due_at}
    )
    transaction.on_commit(partial(_step_enqueue, step.pk, step.due_at))
    return step


# --- raise -----------------------------------------------------------------------------------


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
                Emergency.objects.filter(raised_by=actor, device=device, created_at__gte=window)
                .order_by("-created_at")
                .first()
            )
            if earlier is not None:
                return earlier, False
        emergency = Emergency.objects.create(
            raised_by=actor,
            booking=booking,
            family_id=family_id,
            device=device[:64],
            latitude=place["latitude"],
            longitude=place["longitude"],
            message=text,
            created_at=now,
        )
        _schedule(emergency, 0, now)
        _broadcast(emergency, "emergency.raised")
        audit_record(
            action="emergency.raised",
            actor=actor,
            target=emergency,
            data={"booking": str(booking.pk) if booking else None},
        )
    logger.warning("emergency_raised", emergency_id=str(emergency.pk), booking_id=str(emergency.booking_id))
    return emergency, True


# --- the ladder ------------------------------------------------------------------------------


def _display_name(user: User) -> str:
    return " ".join(part for part in (user.first_name, user.last_name) if part) or "Someone"


def _notify_context(emergency: Emergency, number: int) -> dict[str, Any]:
    raised_by = emergency.raised_by
    return {
        "emergency_id": str(emergency.pk),
        "booking_id": str(emergency.booking_id) if emergency.booking_id else None,
        "raised_by": _display_name(raised_by),
        "message": emergency.message,
        "place": f"{emergency.latitude}, {emergency.longitude}",
        "map_url": osm_url(emergency),
        "link": f"{settings.FRONTEND_URL}/emergencies/{emergency.pk}",
        "step": number,
    }


def osm_url(emergency: Emergency) -> str:
    """The alert's place on OpenStreetMap."""
    lat, lon = emergency.latitude, emergency.longitude
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


def _request_for(recipient: Recipient, *, emergency: Emergency, kind: str, context: dict[str, Any]) -> NotifyRequest:
    if recipient.user is not None:
        return NotifyRequest(user=recipient.user, kind=kind, context=context, actor=emergency.raised_by)
    contact = Contact(name=recipient.contact_name, phone=recipient.contact_phone, on_behalf_of=emergency.family)
    return NotifyRequest(user=contact, kind=kind, context=context, actor=emergency.raised_by)


def _notice(recipient: Recipient, notification_id: Any) -> dict[str, Any]:
    notice: dict[str, Any] = {"notification_id": str(notification_id), "audience": recipient.audience.value}
    if recipient.audience is Audience.CONTACTS:
        notice["contact_priority"] = recipient.contact_priority
    else:
        notice["user_id"] = str(recipient.user.pk) if recipient.user else None
    return notice


def escalation_step_run(*, step_id: int, now: datetime | None = None) -> str:
    """Send one step of an alert's ladder if it is due and still needed; answer the step's status.

    Idempotent: a step already sent or cancelled, not yet due, or gone is left
    alone. A step of an alert that was answered in the meantime is cancelled.
    """
    now = now or timezone.now()
    emergency_id = EscalationStep.objects.filter(pk=step_id).values_list("emergency_id", flat=True).first()
    if emergency_id is None:
        return "gone"
    with transaction.atomic():
        # The alert first, then the step: the order acknowledge and resolve take them in too.
        emergency = (
            Emergency.objects.select_for_update(of=("self",))
            .select_related("raised_by", "booking", "family")
            .get(pk=emergency_id)
        )
        step = EscalationStep.objects.select_for_update().get(pk=step_id)
        if step.status != StepStatus.PENDING:
            return str(step.status)
        if step.due_at > now + CLOCK_SKEW:
            return "not_due"
        if emergency.status != EmergencyStatus.ACTIVE:
            EscalationStep.objects.filter(pk=step.pk).update(status=StepStatus.CANCELLED, cancelled_at=now)
            return StepStatus.CANCELLED

        # The claim: one conditional update. Under the locks above it always wins; it would also stop a
        # second sender that took no lock, since a racing UPDATE re-checks the status once the first commits.
        claimed = EscalationStep.objects.filter(pk=step.pk, status=StepStatus.PENDING).update(
            status=StepStatus.SENT, sent_at=now
        )
        if claimed != 1:
            return StepStatus.SENT
        rung = rung_for(step.number)
        recipients = recipients_for_rung(emergency=emergency, rung=rung)
        if not recipients:
            # Nobody on this rung (a sitter's SOS outside any booking has no family): page staff at once.
            recipients = recipients_for_rung(emergency=emergency, rung=ON_CALL_ONLY)
        context = _notify_context(emergency, step.number)
        requests = [_request_for(r, emergency=emergency, kind=rung.kind, context=context) for r in recipients]
        notifications = notify_bulk(requests=requests) if requests else []
        notices = [_notice(r, n.pk) for r, n in zip(recipients, notifications, strict=True)]
        EscalationStep.objects.filter(pk=step.pk).update(notices=notices)
        if step.number < settings.EMERGENCY_ESCALATION_MAX_STEPS:
            _schedule(emergency, step.number + 1, now + timedelta(seconds=settings.EMERGENCY_ESCALATION_SECONDS))
        if step.number > 0:
            _broadcast(emergency, "emergency.updated", escalation={"step": step.number, "rung": rung.key})
        audit_record(
            action="emergency.escalated" if step.number else "emergency.notified",
            target=emergency,
            data={"step": step.number, "rung": rung.key, "recipients": len(recipients)},
        )
    logger.info("emergency_step_sent", emergency_id=str(emergency.pk), step=step.number, rung=rung.key)
    return StepStatus.SENT


def escalation_redrive(*, now: datetime | None = None, batch: int = REDRIVE_BATCH) -> int:
    """Run every step past due whose task never came; answer how many were sent now.

    Beat calls this every ``EMERGENCY_REDRIVE_SECONDS``. Steps are run here,
    not re-enqueued, so the ladder climbs even while the broker is down; a
    step whose own task runs at the same moment is still sent once (the claim).
    """
    now = now or timezone.now()
    due = list(
        EscalationStep.objects.filter(status=StepStatus.PENDING, due_at__lte=now - REDRIVE_GRACE)
        .order_by("due_at")
        .values_list("pk", flat=True)[:batch]
    )
    sent = 0
    for step_id in due:
        try:
            sent += escalation_step_run(step_id=step_id, now=now) == StepStatus.SENT
        except Exception:  # one bad step must not hold up the others
            logger.exception("escalation_redrive_step_failed", step_id=step_id)
    if due:
        logger.warning("escalation_steps_redriven", due=len(due), sent=sent)
    return sent


# --- answers ---------------------------------------------------------------------------------


def _role_of(user: User) -> str:
    return "staff" if user.is_staff else str(user.role)


def _stop_ladder(emergency: Emergency, now: datetime) -> int:
    return EscalationStep.objects.filter(emergency=emergency, status=StepStatus.PENDING).update(
        status=StepStatus.CANCELLED, cancelled_at=now
    )


def _locked_for(emergency_id: UUID, actor: User) -> Emergency:
    visible = emergency_get_for_user(emergency_id=emergency_id, user=actor)  # 404 for anyone else
    return Emergency.objects.select_for_update(of=("self",)).select_related("booking").get(pk=visible.pk)


def emergency_acknowledge(*, emergency_id: UUID, actor: User, now: datetime | None = None) -> Emergency:
    """Someone is on it: the ladder stops. Each person's acknowledgement is recorded once.

    A repeat by the same person, or any acknowledgement of a resolved alert,
    changes nothing and answers the alert as it is.
    """
    with transaction.atomic():
        emergency = _locked_for(emergency_id, actor)
        if emergency.status == EmergencyStatus.RESOLVED:
            return emergency
        now = now or timezone.now()
        _, recorded = EmergencyResponse.objects.get_or_create(
            emergency=emergency,
            action=EmergencyResponse.Action.ACKNOWLEDGED,
            actor=actor,
            defaults={"actor_role": _role_of(actor), "created_at": now},
        )
        if not recorded:
            return emergency
        if emergency.status == EmergencyStatus.ACTIVE:
            emergency.status = EmergencyStatus.ACKNOWLEDGED
            emergency.acknowledged_at = now
            emergency.acknowledged_by = actor
            emergency.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        cancelled = _stop_ladder(emergency, now)
        _broadcast(emergency, "emergency.updated", acknowledged_by={"id": str(actor.pk), "role": _role_of(actor)})
        audit_record(
            action="emergency.acknowledged", actor=actor, target=emergency, data={"steps_cancelled": cancelled}
        )
    return emergency


def emergency_resolve(*, emergency_id: UUID, actor: User, notes: str = "", now: datetime | None = None) -> Emergency:
    """It is over: the ladder stops and the notes are kept. Resolving again changes nothing (idempotent)."""
    text = clean_text(notes or "", max_length=NOTES_MAX, field="notes")
    with transaction.atomic():
        emergency = _locked_for(emergency_id, actor)
        if emergency.status == EmergencyStatus.RESOLVED:
            return emergency
        now = now or timezone.now()
        EmergencyResponse.objects.create(
            emergency=emergency,
            action=EmergencyResponse.Action.RESOLVED,
            actor=actor,
            actor_role=_role_of(actor),
            created_at=now,
        )
        emergency.status = EmergencyStatus.RESOLVED
        emergency.resolved_at = now
        emergency.resolved_by = actor
        emergency.resolution_notes = text
        emergency.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_notes"])
        cancelled = _stop_ladder(emergency, now)
        _broadcast(emergency, "emergency.updated", resolved_by={"id": str(actor.pk), "role": _role_of(actor)})
        audit_record(action="emergency.resolved", actor=actor, target=emergency, data={"steps_cancelled": cancelled})
    return emergency


# --- GDPR ------------------------------------------------------------------------------------


def emergencies_export(user: Any) -> dict[str, Any]:
    """The GDPR export's "emergencies" section: the alerts the user raised and their answers to any."""
    raised = Emergency.objects.filter(raised_by=user).order_by("created_at")
    answers = EmergencyResponse.objects.filter(actor=user).order_by("created_at")
    return {
        "raised": [
            {
                "id": str(e.pk),
                "booking_id": str(e.booking_id) if e.booking_id else None,
                "status": e.status,
                "latitude": str(e.latitude),
                "longitude": str(e.longitude),
                "message": e.message,
                "created_at": e.created_at.isoformat(),
                "acknowledged_at": e.acknowledged_at.isoformat() if e.acknowledged_at else None,
                "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
            }
            for e in raised
        ],
        "responses": [
            {"emergency_id": str(r.emergency_id), "action": r.action, "at": r.created_at.isoformat()} for r in answers
        ],
    }
