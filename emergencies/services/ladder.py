"""Run a step of an alert's ladder, and re-drive the steps whose task was lost.

Built as a pager is built:

- The alert row and its first step are committed before anything leaves
  (:mod:`emergencies.services.sos`, :mod:`emergencies.services.timers`).
- A step runs in one transaction that locks the alert, then the step; it
  claims the step (pending → sent), writes its notifications through
  messaging (whose outbox sends them after commit, on the critical queue), and
  writes the next step, due ``EMERGENCY_ESCALATION_SECONDS`` later (after step
  0 of a safety timer's alert: ``EMERGENCY_TIMER_FIRST_STEP_SECONDS``). A
  second worker running the same step waits for the lock and then finds it
  sent; a worker that dies mid-step rolls back, and the step is still pending
  for the re-drive. So a step is sent exactly once.
- :func:`escalation_redrive` (beat) runs every step past due whose task never
  came (a dead worker, a Redis restart): the ladder lives in the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from emergencies.ladder import Audience, ladder_for
from emergencies.models import Emergency, EmergencyKind, EmergencyStatus, EscalationStep, StepStatus
from emergencies.selectors import Recipient, recipients_for_rung
from emergencies.services.alerts import broadcast, logger, osm_url, step_schedule
from guardiannest.audit.services import audit_record
from messaging.services.notifications import SITE_NAME, Contact, NotifyRequest, notify_bulk

CLOCK_SKEW = timedelta(seconds=2)  # between the web process, beat and the workers
REDRIVE_GRACE = timedelta(seconds=10)  # a step due this long without its task running lost its task
REDRIVE_BATCH = 200


def _display_name(user: User | None) -> str:
    if user is None:  # raised by the platform (a missed check-in)
        return SITE_NAME
    return " ".join(part for part in (user.first_name, user.last_name) if part) or "Someone"


def _first_name(user: User) -> str:
    return user.first_name or _display_name(user)


def _notify_context(emergency: Emergency, number: int) -> dict[str, Any]:
    """What the templates of every rung get; a safety timer's alert adds its booking (who, when, local time)."""
    has_place = emergency.latitude is not None and emergency.longitude is not None
    context: dict[str, Any] = {
        "emergency_id": str(emergency.pk),
        "booking_id": str(emergency.booking_id) if emergency.booking_id else None,
        "alert_kind": emergency.kind,
        "raised_by": _display_name(emergency.raised_by),
        "message": emergency.message,
        "place": f"{emergency.latitude}, {emergency.longitude}" if has_place else "",
        "map_url": osm_url(emergency) or "",
        "link": f"{settings.FRONTEND_URL}/emergencies/{emergency.pk}",
        "step": number,
    }
    booking = emergency.booking
    if emergency.kind != EmergencyKind.SOS and booking is not None:
        zone = ZoneInfo(booking.timezone)
        context |= {
            "sitter_name": _first_name(booking.sitter),
            "parent_name": _first_name(booking.parent),
            "starts_at": booking.starts_at.astimezone(zone),
            "ends_at": booking.ends_at.astimezone(zone),
        }
    elif emergency.kind != EmergencyKind.SOS:  # its booking was erased since: the ladder still climbs, in general words
        context |= {"sitter_name": "The sitter", "parent_name": "the family", "starts_at": "-", "ends_at": "-"}
    return context


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
            .select_related("raised_by", "booking__parent", "booking__sitter", "family")
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
        ladder = ladder_for(emergency.kind)
        rung = ladder.rung_for(step.number)
        recipients = recipients_for_rung(emergency=emergency, rung=rung)
        if not recipients:
            # Nobody on this rung (a sitter's SOS outside any booking has no family): page staff at once.
            recipients = recipients_for_rung(emergency=emergency, rung=ladder.on_call_only)
        context = _notify_context(emergency, step.number)
        requests = [_request_for(r, emergency=emergency, kind=rung.kind, context=context) for r in recipients]
        notifications = notify_bulk(requests=requests) if requests else []
        notices = [_notice(r, n.pk) for r, n in zip(recipients, notifications, strict=True)]
        EscalationStep.objects.filter(pk=step.pk).update(notices=notices)
        if step.number < settings.EMERGENCY_ESCALATION_MAX_STEPS:
            step_schedule(emergency, step.number + 1, now + timedelta(seconds=ladder.wait_after(step.number)))
        if step.number > 0:
            broadcast(emergency, "emergency.updated", escalation={"step": step.number, "rung": rung.key})
        audit_record(
            action="emergency.escalated" if step.number else "emergency.notified",
            target=emergency,
            data={"step": step.number, "rung": rung.key, "recipients": len(recipients), "kind": emergency.kind},
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
