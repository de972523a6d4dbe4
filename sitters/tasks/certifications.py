"""Celery tasks: certifications (beat, daily: ``sitters-certification-reminders``)."""

from __future__ import annotations

from celery import shared_task

from sitters.services.certifications import certification_reminders_send as send


@shared_task(name="sitters.certification_reminders_send")
def certification_reminders_send() -> int:
    """Remind sitters 30 days before a certification expires; each reminder is claimed, so reruns send nothing."""
    return send()
