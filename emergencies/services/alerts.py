"""What every change to an alert shares: its event envelope, its broadcast, and the scheduling of a ladder step."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone

from emergencies.ladder import rung_for
from emergencies.models import Emergency, EscalationStep
from emergencies.selectors import emergency_groups
from guardiannest.realtime.events import broadcast_on_commit

logger = structlog.get_logger("emergencies.services")

ETA_LIMIT = timedelta(minutes=15)


def emergency_event_data(emergency: Emergency) -> dict[str, Any]:
    """What ``emergency.raised`` and ``emergency.updated`` carry: enough to show the alert and a map.

    ``kind`` says why it was raised (sos, missed_check_in, parent_overdue); ``raised_by`` is null when the
    platform raised it (a missed check-in), and the place is null when nobody's is known.
    """
    return {
        "id": str(emergency.pk),
        "kind": emergency.kind,
        "status": emergency.status,
        "booking_id": str(emergency.booking_id) if emergency.booking_id else None,
        "raised_by": str(emergency.raised_by_id) if emergency.raised_by_id else None,
        "latitude": str(emergency.latitude) if emergency.latitude is not None else None,
        "longitude": str(emergency.longitude) if emergency.longitude is not None else None,
        "message": emergency.message,
        "created_at": emergency.created_at.isoformat(),
        "acknowledged_at": emergency.acknowledged_at.isoformat() if emergency.acknowledged_at else None,
        "resolved_at": emergency.resolved_at.isoformat() if emergency.resolved_at else None,
    }


def broadcast(emergency: Emergency, event_type: str, **extra: Any) -> None:
    """``event_type`` to the parties' and staff's sockets, once the transaction commits."""
    broadcast_on_commit(emergency_groups(emergency=emergency), event_type, emergency_event_data(emergency) | extra)


def osm_url(emergency: Emergency) -> str | None:
    """The alert's place on OpenStreetMap; None when it has none."""
    lat, lon = emergency.latitude, emergency.longitude
    if lat is None or lon is None:
        return None
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


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


def step_schedule(emergency: Emergency, number: int, due_at: datetime) -> EscalationStep:
    """Step ``number`` of the ladder, due at ``due_at`` (once: a second call finds the row); its task on commit."""
    step, _ = EscalationStep.objects.get_or_create(
        emergency=emergency, number=number, defaults={"rung": rung_for(number, emergency.kind).key, "due_at": due_at}
    )
    transaction.on_commit(partial(_step_enqueue, step.pk, step.due_at))
    return step
