"""Answers to an alert: acknowledge (someone is on it) and resolve (it is over). Either stops the ladder.

Both lock the alert and cancel its pending steps in the same transaction, so
the ladder stops whichever comes first; each broadcasts ``emergency.updated``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from emergencies.models import Emergency, EmergencyResponse, EmergencyStatus, EscalationStep, StepStatus
from emergencies.selectors import emergency_get_for_user
from emergencies.services.alerts import broadcast
from guardiannest.audit.services import audit_record
from guardiannest.text import clean_text

NOTES_MAX = 4000


def _role_of(user: User) -> str:
    return "staff" if user.is_staff else str(user.role)


def stop_ladder(emergency: Emergency, now: datetime) -> int:
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
        cancelled = stop_ladder(emergency, now)
        broadcast(emergency, "emergency.updated", acknowledged_by={"id": str(actor.pk), "role": _role_of(actor)})
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
        cancelled = stop_ladder(emergency, now)
        broadcast(emergency, "emergency.updated", resolved_by={"id": str(actor.pk), "role": _role_of(actor)})
        audit_record(action="emergency.resolved", actor=actor, target=emergency, data={"steps_cancelled": cancelled})
    return emergency
