"""The one map from what the provider reports to a payment's state, its ledger entries and its notices.

Services (after their provider call) and webhooks (after re-reading the
intent) both hand the provider's :class:`Intent` to :func:`payment_apply_intent`
with the payment row locked. States only move forward: a late or repeated
report of an earlier state changes nothing, so events arriving out of order
or three times end in the same place.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from guardiannest.audit.services import audit_record
from payments.fees import platform_fee
from payments.handlers import PaymentEvent, payment_event_on_commit
from payments.metrics import transition_on_commit
from payments.models import LedgerKind, Payment, PaymentStatus
from payments.models.payments import CLOSED, SETTLED
from payments.providers.base import Intent, IntentStatus
from payments.services.ledger import authorisation_lines, capture_lines, ledger_post, release_lines
from payments.services.payouts import transfer_settle_on_commit
from payments.services.receipts import receipt_capture_notify

# An off-session payment the bank wants the parent to approve: Stripe declines it with this code.
AUTHENTICATION_REQUIRED = "authentication_required"

_BY_INTENT = {
    IntentStatus.REQUIRES_PAYMENT_METHOD: PaymentStatus.REQUIRES_PAYMENT_METHOD,
    IntentStatus.REQUIRES_CONFIRMATION: PaymentStatus.REQUIRES_PAYMENT_METHOD,
    IntentStatus.REQUIRES_ACTION: PaymentStatus.REQUIRES_ACTION,
    IntentStatus.REQUIRES_CAPTURE: PaymentStatus.AUTHORISED,
    IntentStatus.SUCCEEDED: PaymentStatus.CAPTURED,
    IntentStatus.CANCELED: PaymentStatus.RELEASED,
}
_NOT_YET_AUTHORISED = (PaymentStatus.REQUIRES_PAYMENT_METHOD, PaymentStatus.REQUIRES_ACTION)


def status_for(intent: Intent) -> PaymentStatus | None:
    """Our status for the intent's; None while the provider is still processing."""
    if intent.error_code == AUTHENTICATION_REQUIRED:
        return PaymentStatus.REQUIRES_ACTION
    return _BY_INTENT.get(intent.status)


def _moves(current: str, target: PaymentStatus, *, new_attempt: bool) -> bool:
    if current in CLOSED or current in SETTLED:
        return False  # over, or money taken: refunds have their own service
    if current == PaymentStatus.AUTHORISED:
        return target in (PaymentStatus.CAPTURED, PaymentStatus.RELEASED)
    return target != current or new_attempt


def payment_transition(
    *,
    payment: Payment,
    status: PaymentStatus,
    event: PaymentEvent,
    actor: AbstractBaseUser | None,
    data: dict[str, Any] | None = None,
    moved: tuple[str, int] | None = None,
) -> Payment:
    """Save the locked ``payment`` in ``status``, record one audit event, and send ``event`` after commit.

    ``moved`` is the money this change moved, as (``"captured"`` or ``"refunded"``, amount), for the metrics.
    """
    payment.status = status
    payment.save()
    audit_record(
        action=f"payment.{status}",
        actor=actor,
        target=payment,
        data={"reference": payment.reference, "amount": payment.amount, **(data or {})},
    )
    payment_event_on_commit(payment_id=str(payment.pk), event=event)
    transition_on_commit(status=status, money=(*moved, payment.currency) if moved else None)
    return payment


def payment_apply_intent(
    *,
    payment: Payment,
    intent: Intent,
    actor: AbstractBaseUser | None,
    requested_capture: int | None = None,
    new_attempt: bool = False,
) -> bool:
    """Bring the locked ``payment`` to the state ``intent`` reports; True when it moved.

    ``requested_capture`` is the amount our capture asked for, used when the
    provider does not report the amount received. ``new_attempt`` marks an
    authorisation attempt of ours, whose decline is news even when the last
    attempt was declined too.
    """
    target = status_for(intent)
    if target is None or not _moves(payment.status, target, new_attempt=new_attempt):
        return False
    now, was = timezone.now(), payment.status
    payment.provider_intent_id = intent.id or payment.provider_intent_id  # a decline may come without one
    payment.client_secret = ""
    data: dict[str, Any] = {"intent": intent.id}
    if target == PaymentStatus.AUTHORISED:
        ledger_post(payment=payment, kind=LedgerKind.AUTHORISATION, lines=authorisation_lines(payment.amount))
        payment.authorised_at, payment.last_error_code = now, ""
        event = PaymentEvent.AUTHORISED
    elif target == PaymentStatus.CAPTURED:
        if was in _NOT_YET_AUTHORISED:  # the provider's capture overtook our view of the authorisation
            ledger_post(payment=payment, kind=LedgerKind.AUTHORISATION, lines=authorisation_lines(payment.amount))
            payment.authorised_at = payment.authorised_at or now
        captured = intent.amount_received or requested_capture or payment.amount
        fee = platform_fee(captured)
        lines = capture_lines(authorised=payment.amount, captured=captured, fee=fee)
        ledger_post(payment=payment, kind=LedgerKind.CAPTURE, lines=lines)
        payment.captured_amount, payment.fee_amount, payment.captured_at = captured, fee, now
        data.update(captured=captured, fee=fee)
        event = PaymentEvent.CAPTURED
        transfer_settle_on_commit(payment_id=str(payment.pk))  # the sitter's share goes out after commit
    elif target == PaymentStatus.RELEASED:
        if was == PaymentStatus.AUTHORISED:
            ledger_post(payment=payment, kind=LedgerKind.RELEASE, lines=release_lines(payment.amount))
        payment.released_at = now
        event = PaymentEvent.RELEASED
    elif target == PaymentStatus.REQUIRES_ACTION:
        payment.client_secret = intent.client_secret
        event = PaymentEvent.REQUIRES_ACTION
    else:
        payment.last_error_code = intent.error_code
        data["error"] = intent.error_code
        event = PaymentEvent.FAILED
    moved = ("captured", payment.captured_amount) if target == PaymentStatus.CAPTURED else None
    payment_transition(payment=payment, status=target, event=event, actor=actor, data=data, moved=moved)
    if target == PaymentStatus.CAPTURED:
        receipt_capture_notify(payment=payment)
    return True
