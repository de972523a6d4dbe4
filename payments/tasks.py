"""Celery tasks of the payments app: thin wrappers around its services, each safe to run twice."""

from __future__ import annotations

from celery import shared_task

from payments.services.notices import payment_event_deliver


@shared_task(
    name="payments.payment_event_deliver",
    autoretry_for=(Exception,),
    retry_backoff=10,
    retry_backoff_max=10 * 60,
    retry_jitter=True,
    max_retries=10,
)
def payment_event_deliver_task(payment_id: str, event: str) -> int:
    """Tell the apps that registered for payment events (bookings) what happened to one of their payments."""
    return payment_event_deliver(payment_id=payment_id, event=event)
