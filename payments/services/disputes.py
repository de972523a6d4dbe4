"""Disputes (chargebacks): a case for staff, the money on hold in the ledger, and the outcome.

:func:`dispute_apply` takes a dispute as the provider has it now (the
webhook handler re-reads it rather than trust the event) with the payment
row locked. Stages only move forward (inquiry or
needs_response → under_review → won, lost or warning_closed), and a closed
case never changes again, so events arriving late, out of order or three
times end in the same case and the same ledger:

- a real dispute (not a ``warning_*`` inquiry) withdraws the amount: the
  ledger moves it from the provider's clearing account to ``disputed``, once;
- won: it comes back to clearing; lost: it goes to ``dispute_losses``.

The referenced object's handlers hear ``disputed`` when a case opens and
``dispute_closed`` when it closes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from guardiannest.audit.services import audit_record
from payments.handlers import PaymentEvent, payment_event_on_commit
from payments.metrics import dispute_on_commit
from payments.models import DisputeCase, DisputeStatus, LedgerAccount, LedgerKind, Payment
from payments.models.disputes import DISPUTE_CLOSED, DISPUTE_STAGE
from payments.providers.base import Dispute
from payments.services.ledger import credit, debit, ledger_post

logger = structlog.get_logger("payments.disputes")


def _due_by(dispute: Dispute) -> datetime | None:
    return datetime.fromtimestamp(dispute.evidence_due_by, tz=UTC) if dispute.evidence_due_by else None


def dispute_apply(*, payment: Payment, dispute: Dispute, provider: str) -> DisputeCase | None:
    """Bring ``dispute`` (as the provider has it) into its case; None for a status we do not know.

    Call it inside a transaction, with ``payment`` locked. A report of the
    stage the case is at already, of an earlier one, or about a closed case
    changes nothing.
    """
    status = dispute.status
    if status not in DisputeStatus.values:
        logger.warning("payment_dispute_status_unknown", dispute=dispute.id, status=status)
        return None
    dispute_id = dispute.id
    case = DisputeCase.objects.select_for_update().filter(provider=provider, provider_dispute_id=dispute_id).first()
    opened = False
    if case is None:
        case = DisputeCase(
            payment=payment,
            provider=provider,
            provider_dispute_id=dispute_id,
            amount=dispute.amount or payment.captured_amount or payment.amount,
            currency=dispute.currency or payment.currency,
            reason=dispute.reason[:64],
            status=status,
            evidence_due_by=_due_by(dispute),
        )
        try:
            with transaction.atomic():
                case.save()
            opened = True
        except IntegrityError:  # a concurrent event about the same dispute made it first
            case = DisputeCase.objects.select_for_update().get(provider=provider, provider_dispute_id=dispute_id)
    if not opened and (
        case.status in DISPUTE_CLOSED
        or status == case.status
        or DISPUTE_STAGE[DisputeStatus(status)] < DISPUTE_STAGE[DisputeStatus(case.status)]
    ):
        return case  # over, already there, or a late report of an earlier stage
    was = case.status if not opened else ""
    case.status = status
    case.reason = dispute.reason[:64] or case.reason
    case.evidence_due_by = _due_by(dispute) or case.evidence_due_by
    if not status.startswith("warning") and not case.funds_withdrawn:
        lines = [debit(LedgerAccount.DISPUTED, case.amount), credit(LedgerAccount.PROVIDER_CLEARING, case.amount)]
        ledger_post(payment=payment, kind=LedgerKind.DISPUTE, lines=lines)
        case.funds_withdrawn = True
    if status in DISPUTE_CLOSED:
        case.outcome, case.closed_at = status, timezone.now()
        if case.funds_withdrawn and status == DisputeStatus.WON:
            lines = [debit(LedgerAccount.PROVIDER_CLEARING, case.amount), credit(LedgerAccount.DISPUTED, case.amount)]
            ledger_post(payment=payment, kind=LedgerKind.DISPUTE_WON, lines=lines)
        elif case.funds_withdrawn and status == DisputeStatus.LOST:
            lines = [debit(LedgerAccount.DISPUTE_LOSSES, case.amount), credit(LedgerAccount.DISPUTED, case.amount)]
            ledger_post(payment=payment, kind=LedgerKind.DISPUTE_LOST, lines=lines)
    case.save()
    audit_record(
        action=f"payment.dispute_{status}",
        target=payment,
        data={"reference": payment.reference, "dispute": dispute_id, "amount": case.amount, "from": was},
    )
    if opened:
        payment_event_on_commit(payment_id=str(payment.pk), event=PaymentEvent.DISPUTED)
        dispute_on_commit(result="opened", money=(case.amount, case.currency) if case.funds_withdrawn else None)
    if status in DISPUTE_CLOSED:
        payment_event_on_commit(payment_id=str(payment.pk), event=PaymentEvent.DISPUTE_CLOSED)
        dispute_on_commit(result=status)
    return case


def dispute_case_take(*, case: DisputeCase, actor: User) -> DisputeCase:
    """A finance staff member takes the case (the admin's action); taking a taken case again changes nothing."""
    with transaction.atomic():
        case = DisputeCase.objects.select_for_update().get(pk=case.pk)
        if case.handled_by_id is not None:
            return case
        case.handled_by, case.handled_at = actor, timezone.now()
        case.save(update_fields=["handled_by", "handled_at", "updated_at"])
        audit_record(
            action="payment.dispute_taken", actor=actor, target=case, data={"dispute": case.provider_dispute_id}
        )
        return case
