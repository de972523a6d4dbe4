"""Celery tasks of emergencies: thin wrappers over :mod:`emergencies.services`, all on the critical queue.

``emergencies.*`` is routed to the ``critical`` queue (apps.py), served by its
own worker, so a backlog of bulk email never delays a step of a ladder. The
database holds each step's due time: a lost task is re-driven by beat.
"""

from __future__ import annotations

from celery import shared_task

from emergencies.services import escalation_redrive, escalation_step_run


@shared_task(name="emergencies.escalation_step_run")
def escalation_step_run_task(step_id: int) -> str:
    """Send one step of an alert's ladder (claimed first, so running twice sends once)."""
    return escalation_step_run(step_id=step_id)


@shared_task(name="emergencies.escalation_redrive")
def escalation_redrive_task() -> int:
    """Beat, every EMERGENCY_REDRIVE_SECONDS: run the steps past due whose task was lost."""
    return escalation_redrive()
