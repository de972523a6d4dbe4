"""The GDPR export's "emergencies" section."""

from __future__ import annotations

from typing import Any

from emergencies.models import Emergency, EmergencyResponse


def emergencies_export(user: Any) -> dict[str, Any]:
    """The GDPR export's "emergencies" section: the alerts the user raised and their answers to any."""
    raised = Emergency.objects.filter(raised_by=user).order_by("created_at")
    answers = EmergencyResponse.objects.filter(actor=user).order_by("created_at")
    return {
        "raised": [
            {
                "id": str(e.pk),
                "kind": e.kind,
                "booking_id": str(e.booking_id) if e.booking_id else None,
                "status": e.status,
                "latitude": str(e.latitude) if e.latitude is not None else None,
                "longitude": str(e.longitude) if e.longitude is not None else None,
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
