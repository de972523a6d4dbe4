"""Overtime: worked time beyond the authorisation, charged as a second payment until it is paid or given up.

Stripe captures at most what a PaymentIntent authorised, so the time beyond
it is charged off-session on the parent's saved card (reference
``<booking id>:overtime``), authorised and captured at once. A card can
decline or the provider be down just then, so the debt is a row
(:class:`~bookings.models.OvertimeCharge`) written with the hours'
confirmation, and worked the way payments re-drives its reauthorisations:

- each attempt claims the row first (``SELECT … FOR UPDATE SKIP LOCKED`` on
  a due, unclaimed row, then ``claimed_at`` committed), so two workers never
  charge it at once; a claim older than :data:`CLAIM_TIMEOUT` belongs to a
  worker that died and may be taken again;
- the provider is called outside that lock, through payments'
  idempotent services: a repeat finds the same open payment, and an outage
  after the provider said yes is answered by the same attempt key;
- a retryable failure (a decline, the parent asked to authenticate, an
  outage) schedules the next attempt with capped exponential backoff, up to
  ``BOOKING_OVERTIME_MAX_ATTEMPTS``; a refusal that cannot change by waiting
  (the provider refused the payment, a rule of ours) ends it at once;
- the last failure marks it failed, releases what the open payment still
  holds, tells the parent (``booking.overtime_failed``) and leaves it in the
  admin's list, filtered by status, for staff.

The beat job (``bookings.booking_overtime_charge_due``) picks up whatever is
pending and due: the first attempt after a crash, and each retry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, OvertimeCharge, OvertimeStatus
from bookings.services.payments import OVERTIME_SUFFIX
from bookings.services.transition import _notify
from bookings.transitions import Party
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, Refusal
from payments.models import Payment, PaymentStatus
from payments.services import payment_authorise, payment_capture, payment_release

logger = structlog.get_logger("bookings")

# A claim this old belongs to a worker that died: another may take the row (as payments' reauthorisation).
CLAIM_TIMEOUT = timedelta(minutes=10)
# Payment states from which waiting can still lead to a capture (a new card, the parent's authentication).
_RETRYABLE = (PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.REQUIRES_ACTION, PaymentStatus.AUTHORISED)


def overtime_reference(booking_id: object) -> str:
    return f"{booking_id}{OVERTIME_SUFFIX}"


def booking_overtime_open(*, booking: Booking, amount: int) -> OvertimeCharge:
    """Record ``amount`` of overtime owed, due at once; inside the hours' confirmation (one per booking)."""
    charge, _ = OvertimeCharge.objects.get_or_create(booking=booking, defaults={"amount": amount})
    return charge


def overtime_backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: doubling from BOOKING_OVERTIME_RETRY_SECONDS, capped."""
    seconds = settings.BOOKING_OVERTIME_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.BOOKING_OVERTIME_RETRY_MAX_SECONDS))


def _due(now: datetime) -> QuerySet[OvertimeCharge]:
    return OvertimeCharge.objects.filter(status=OvertimeStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    )


def _claim(charge_id: int, now: datetime) -> OvertimeCharge | None:
    """Take the row for one attempt, or None when it is not due or another worker holds it."""
    with transaction.atomic():
        charge = (
            _due(now)
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("booking__parent", "booking__sitter")
            .filter(pk=charge_id)
            .first()
        )
        if charge is None:
            return None
        charge.claimed_at = now
        charge.save(update_fields=["claimed_at", "updated_at"])
    return charge


def _attempt(charge: OvertimeCharge, actor: User | None) -> tuple[Payment | None, str, bool]:
    """Authorise and capture the overtime: (payment, error code or "", whether waiting may help)."""
    booking = charge.booking
    try:
        payment = payment_authorise(
            payer=booking.parent,
            payee=booking.sitter,
            amount=charge.amount,
            reference=overtime_reference(booking.pk),
            actor=actor,
        )
        if payment.status == PaymentStatus.AUTHORISED:
            payment = payment_capture(payment=payment, amount=charge.amount, actor=actor)
    except ApplicationError as exc:
        return None, str(exc.code), exc.refusal == Refusal.UNAVAILABLE
    if payment.status == PaymentStatus.CAPTURED:
        return payment, "", False
    error = payment.last_error_code or str(payment.status)
    return payment, error, payment.status in _RETRYABLE


def booking_overtime_charge(*, charge_id: int, actor: User | None = None, now: datetime | None = None) -> str:
    """Make one attempt at a pending overtime charge: ``charged``, ``retry``, ``failed`` or ``skipped``.

    Skipped: not pending, not due yet, or claimed by another worker. Safe to
    call twice: the second finds the row claimed or already settled, and
    payments finds the same open payment by its reference.
    """
    now = now or timezone.now()
    charge = _claim(charge_id, now)
    if charge is None:
        return "skipped"
    payment, error, retryable = _attempt(charge, actor)
    with transaction.atomic():
        charge = (
            OvertimeCharge.objects.select_for_update()
            .select_related("booking__parent", "booking__sitter")
            .get(pk=charge_id)
        )
        if charge.status != OvertimeStatus.PENDING or charge.claimed_at != now:
            return "skipped"  # our claim timed out and another worker settled it
        charge.attempts += 1
        charge.claimed_at = None
        charge.payment = payment or charge.payment
        charge.last_error = error[:64]
        data: dict[str, object] = {"amount": charge.amount, "attempts": charge.attempts}
        if payment is not None:
            data["payment_id"] = str(payment.pk)
        if not error:
            charge.status = OvertimeStatus.CHARGED
            charge.save()
            audit_record(action="booking.overtime_charged", actor=actor, target=charge.booking, data=data)
            logger.info("booking_overtime_charged", booking_id=str(charge.booking_id), attempts=charge.attempts)
            return "charged"
        if retryable and charge.attempts < settings.BOOKING_OVERTIME_MAX_ATTEMPTS:
            charge.next_attempt_at = now + overtime_backoff(charge.attempts)
            charge.save()
            audit_record(
                action="booking.overtime_charge_retried",
                actor=actor,
                target=charge.booking,
                data={**data, "error": error[:64], "next_attempt_at": charge.next_attempt_at},
            )
            logger.warning(
                "booking_overtime_retry",
                booking_id=str(charge.booking_id),
                attempts=charge.attempts,
                code=error,
                next_attempt_at=charge.next_attempt_at.isoformat(),
            )
            return "retry"
        charge.status = OvertimeStatus.FAILED
        charge.save()
        _notify(charge.booking, "booking.overtime_failed", Party.PARENT, None)
        audit_record(
            action="booking.overtime_failed", actor=actor, target=charge.booking, data={**data, "error": error[:64]}
        )
        logger.warning(
            "booking_overtime_failed", booking_id=str(charge.booking_id), attempts=charge.attempts, code=error
        )
    if payment is not None and payment.status in (PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.REQUIRES_ACTION):
        _release_quietly(payment)  # given up: nothing may be taken from it later without us
    return "failed"


def _release_quietly(payment: Payment) -> None:
    try:
        payment_release(payment=payment, actor=None)
    except ApplicationError as exc:  # an outage: the open payment holds nothing yet, staff see the failed row
        logger.warning("booking_overtime_release_failed", payment_id=str(payment.pk), code=str(exc.code))


def booking_overtime_charge_due(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """The beat job: one attempt at every pending overtime charge that is due; answer the outcomes counted."""
    now = now or timezone.now()
    results = {"charged": 0, "retry": 0, "failed": 0, "skipped": 0}
    for charge_id in _due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]:
        try:
            results[booking_overtime_charge(charge_id=charge_id, now=now)] += 1
        except Exception:  # one row's surprise must not stop the others; its claim times out and it is tried again
            logger.exception("booking_overtime_charge_error", charge_id=charge_id)
            results["skipped"] += 1
    return results


def booking_overtime_retry(*, charge: OvertimeCharge, actor: User) -> str:
    """Staff try a failed overtime charge again (the admin's action): a fresh set of attempts, the first now.

    Answers the attempt's outcome (``charged``, ``retry``, ``failed``); a
    charge that is not failed is left as it is (``skipped``).
    """
    now = timezone.now()
    with transaction.atomic():
        charge = OvertimeCharge.objects.select_for_update().get(pk=charge.pk)
        if charge.status != OvertimeStatus.FAILED:
            return "skipped"
        charge.status, charge.attempts, charge.next_attempt_at = OvertimeStatus.PENDING, 0, now
        charge.claimed_at, charge.last_error = None, ""
        charge.save()
        action, data = "booking.overtime_retry_requested", {"amount": charge.amount}
        audit_record(action=action, actor=actor, target=charge.booking, data=data)
    return booking_overtime_charge(charge_id=charge.pk, actor=actor, now=now)
