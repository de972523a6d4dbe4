"""Celery tasks of the payments app: thin wrappers around its services, each safe to run twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from guardiannest.errors import ApplicationError
from payments.errors import PaymentError
from payments.models import ConnectedAccount, Payment, PaymentCustomer
from payments.services.gdpr import payment_customer_forget
from payments.services.notices import payment_event_deliver
from payments.services.payouts import payouts_release, transfer_settle, transfers_redrive
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


def _backoff(retries: int) -> int:
    return int(min(600, 10 * 2**retries))


@shared_task(name="payments.transfer_settle", bind=True, max_retries=10)
def transfer_settle_task(self: Any, payment_id: str) -> str | None:
    """Pay the sitter their share of a captured payment (or take back a refunded part); see transfer_settle."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        return None
    try:
        transfer = transfer_settle(payment=payment)
    except ApplicationError as exc:
        if exc.code != PaymentError.PROVIDER_UNAVAILABLE:
            raise
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    return None if transfer is None else str(transfer.status)


@shared_task(name="payments.payouts_release", bind=True, max_retries=10)
def payouts_release_task(self: Any, account_id: int) -> int:
    """A sitter finished onboarding: transfer the earnings they accrued until then."""
    account = ConnectedAccount.objects.select_related("user").filter(pk=account_id).first()
    if account is None or not account.payouts_ready:
        return 0
    try:
        return payouts_release(account=account)
    except ApplicationError as exc:
        if exc.code != PaymentError.PROVIDER_UNAVAILABLE:
            raise
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


@shared_task(name="payments.transfers_redrive")
def transfers_redrive_task() -> int:
    """Beat: settle whatever transfers a lost task or an outage left owed."""
    return transfers_redrive()


@shared_task(name="payments.payment_customer_forget", bind=True, max_retries=10)
def payment_customer_forget_task(self: Any, customer_id: int) -> bool:
    """An erased user's customer is deleted at the provider (email, saved cards)."""
    customer = PaymentCustomer.objects.filter(pk=customer_id).first()
    if customer is None:
        return False
    try:
        payment_customer_forget(customer=customer)
    except ApplicationError as exc:
        if exc.code != PaymentError.PROVIDER_UNAVAILABLE:
            raise
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    return True


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
