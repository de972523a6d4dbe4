"""Celery tasks of the notifications subdomain: thin wrappers over :mod:`messaging.services.delivery`.

Tasks take ids and re-fetch; retries are not Celery's: the outbox row holds
the attempt count and the next attempt time, so a retry survives a worker's
death and a lost message is re-driven from the table. Emergency deliveries go
through ``messaging.deliver_critical``, which ``guardiannest/celery.py`` routes
to the ``critical`` queue served by its own worker.
"""

from __future__ import annotations

from celery import shared_task

from messaging.services.delivery import LANE_CRITICAL, delivery_redrive, delivery_send


@shared_task(name="messaging.deliver")
def deliver(delivery_id: str) -> str:
    """Send one outbox row (claimed first, so running twice sends once)."""
    return delivery_send(delivery_id=delivery_id)


@shared_task(name="messaging.deliver_critical")
def deliver_critical(delivery_id: str) -> str:
    """The same as ``messaging.deliver``, for kinds whose queue is ``critical`` (emergencies)."""
    return delivery_send(delivery_id=delivery_id)


@shared_task(name="messaging.redrive_deliveries")
def redrive_deliveries() -> int:
    """Beat, every minute: re-enqueue rows whose task was lost, in both lanes."""
    return delivery_redrive()


@shared_task(name="messaging.redrive_critical_deliveries")
def redrive_critical_deliveries() -> int:
    """Beat, every MESSAGING_CRITICAL_REDRIVE_SECONDS, on the critical queue: the same for emergency deliveries."""
    return delivery_redrive(lane_name=LANE_CRITICAL)
