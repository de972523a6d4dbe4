"""Celery tasks of the payments app: thin wrappers around its services, each safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from payments.services.notices import payment_event_deliver
from payments.services.reauthorisation import payments_reauthorise_due
from payments.services.reconciliation import payments_reconcile


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


@shared_task(name="payments.payments_reconcile")
def payments_reconcile_task(days: int | None = None) -> dict[str, int]:
    """The nightly reconciliation with the provider: drift goes to the metrics and the log (it changes nothing)."""
    window = settings.PAYMENTS_RECONCILE_DAYS if days is None else days
    report = payments_reconcile(since=timezone.now() - timedelta(days=window))
    return {"checked": report.checked, "drifted": len(report.drifted), "drift_amount": report.drift_amount}


@shared_task(name="payments.payments_reauthorise_due")
def payments_reauthorise_due_task() -> dict[str, int]:
    """Renew authorisations nearing the provider's limit; each payment is claimed, so runs may overlap."""
    return payments_reauthorise_due()
