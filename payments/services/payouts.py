"""Sitter payouts through Stripe Connect: onboarding, a transfer of each booking's share, reversals after refunds.

How money reaches a sitter, and what we chose (README, Payments):

- Onboarding: one Express account per sitter (key ``connected-account:<user
  id>``), and a fresh single-use AccountLink per request. Whether the sitter
  can be paid follows the provider: ``account.updated`` webhooks, and a
  re-read on demand (each onboarding request; the simulated onboarding page).
- Transfer after capture: the sitter's share of a payment (the capture less
  the platform fee, less refunds with their fee share) goes to their connected
  account as soon as the payment is captured, in one transfer per payment whose
  ``transfer_group`` is the booking's reference. The parent confirmed the hours
  before the capture, so we do not hold the sitter's money back for a window.
- A refund after the transfer takes the sitter's part of it back with a
  transfer reversal (what Stripe recommends for separate charges and
  transfers): the platform refunds from its own balance and recovers the
  sitter's share, its fee share coming out of its fee. A refund before the
  transfer simply leaves less to transfer.
- A sitter who has not finished onboarding accrues earnings (they stay owed in
  the ledger); when onboarding completes, :func:`payouts_release` transfers
  them, and a beat entry re-drives anything left (a lost task, an outage).

The ledger says what is due: a payment's ``sitter_payable`` balance is what
the platform still owes the sitter for it (negative: a reversal is due).
:func:`transfer_settle` reads it under the payment's row lock, the lock
captures and refunds take too, so twenty workers settling one payment move its
money once, and a refund never races a transfer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError
from payments.errors import PaymentError
from payments.metrics import transfer_on_commit
from payments.models import (
    ConnectedAccount,
    LedgerAccount,
    LedgerKind,
    Payment,
    Transfer,
    TransferReversal,
    TransferStatus,
)
from payments.models.payments import SETTLED
from payments.providers import payment_provider
from payments.providers.base import AccountBalance, ConnectedAccountState, ProviderRefused, ProviderUnavailable
from payments.selectors import (
    connected_account_get_for_user,
    earnings_untransferred,
    ledger_balances,
    payment_list_to_transfer,
)
from payments.services.calls import provider_call, unavailable
from payments.services.ledger import ledger_post, transfer_lines, transfer_reversal_lines

logger = structlog.get_logger("payments.payouts")


def _require_sitter(user: User) -> None:
    if user.role != Role.SITTER:
        raise ApplicationError(PaymentError.NOT_A_SITTER, "Only sitters are paid out.")


# --- onboarding -------------------------------------------------------------------------------------


def connected_account_for(*, sitter: User) -> ConnectedAccount:
    """The sitter's connected account at the configured provider, created there on first need.

    The idempotency key is the sitter's, so two first requests racing make one
    provider account, and the unique constraint keeps one row.
    """
    _require_sitter(sitter)
    provider = payment_provider()
    existing = connected_account_get_for_user(user=sitter, provider=provider.name)
    if existing is not None:
        return existing
    state = provider_call(
        lambda: provider.connected_account_create(
            email=sitter.email, user_id=str(sitter.pk), idempotency_key=f"connected-account:{sitter.pk}"
        )
    )
    try:
        with transaction.atomic():
            account = ConnectedAccount.objects.create(user=sitter, provider=provider.name, provider_account_id=state.id)
            audit_record(action="payout.account_created", actor=sitter, target=account)
    except IntegrityError:
        return ConnectedAccount.objects.get(user=sitter, provider=provider.name)
    connected_account_apply(account=account, state=state)
    return account


@dataclass(frozen=True)
class OnboardingLink:
    url: str
    account_created: bool
    onboarding_complete: bool


def payout_onboarding_link(*, sitter: User) -> OnboardingLink:
    """A single-use link to the provider's onboarding for the sitter's account (made on first call).

    The account's state is re-read from the provider first, so a sitter back
    from onboarding sees it complete even before the webhook arrives.
    """
    _require_sitter(sitter)
    provider = payment_provider()
    created = connected_account_get_for_user(user=sitter, provider=provider.name) is None
    account = connected_account_for(sitter=sitter)
    if not created:
        account = connected_account_refresh(account=account)
    # Each link is used once and expires within minutes: each request is its own logical operation.
    key = f"account-link:{account.pk}:{uuid.uuid4()}"
    url = provider_call(
        lambda: provider.account_link_create(
            account_id=account.provider_account_id,
            refresh_url=settings.STRIPE_CONNECT_REFRESH_URL,
            return_url=settings.STRIPE_CONNECT_RETURN_URL,
            idempotency_key=key,
        )
    )
    return OnboardingLink(url=url, account_created=created, onboarding_complete=account.payouts_ready)


def connected_account_apply(*, account: ConnectedAccount, state: ConnectedAccountState) -> bool:
    """Record what the provider says of ``account``; True when the sitter just became payable.

    Becoming payable releases the earnings accrued so far, after commit.
    """
    with transaction.atomic():
        account = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        was_ready = account.payouts_ready
        flags = (state.details_submitted, state.charges_enabled, state.payouts_enabled)
        if flags == (account.details_submitted, account.charges_enabled, account.payouts_enabled):
            return False
        account.details_submitted, account.charges_enabled, account.payouts_enabled = flags
        became_ready = account.payouts_ready and not was_ready
        if became_ready and account.onboarded_at is None:
            account.onboarded_at = timezone.now()
        account.save()
        audit_record(
            action="payout.account_updated",
            target=account,
            data={"details_submitted": flags[0], "charges_enabled": flags[1], "payouts_enabled": flags[2]},
        )
        if became_ready:
            from payments.tasks import payouts_release_task

            transaction.on_commit(partial(payouts_release_task.delay, account.pk), robust=True)
        return became_ready


def connected_account_refresh(*, account: ConnectedAccount) -> ConnectedAccount:
    """Re-read the account from the provider and record it (on demand, and for its webhooks)."""
    provider = payment_provider()
    state = provider_call(lambda: provider.connected_account_retrieve(account_id=account.provider_account_id))
    connected_account_apply(account=account, state=state)
    account.refresh_from_db()
    return account


def payout_onboarding_simulate_complete(*, account_id: str) -> ConnectedAccount:
    """The simulated provider's hosted onboarding, finished by the sitter (embedded default only)."""
    from payments.providers.simulated import SimulatedProvider

    provider = payment_provider()
    account = ConnectedAccount.objects.filter(provider=provider.name, provider_account_id=account_id).first()
    if not isinstance(provider, SimulatedProvider) or account is None:
        raise ApplicationError(PaymentError.PROVIDER_REFUSED, "There is no simulated onboarding here.")
    provider.connected_account_complete(account_id=account_id)
    return connected_account_refresh(account=account)


# --- transfers ----------------------------------------------------------------------------------------


def _owed(payment: Payment) -> int:
    """What the platform still owes the sitter for ``payment`` (negative: the sitter has too much of it)."""
    return -ledger_balances(payment=payment)[LedgerAccount.SITTER_PAYABLE]


def transfer_settle_on_commit(*, payment_id: str) -> None:
    """Settle the payment's transfer once the current transaction commits (capture, refund)."""
    from payments.tasks import transfer_settle_task

    transaction.on_commit(partial(transfer_settle_task.delay, payment_id), robust=True)


def transfer_settle(*, payment: Payment, actor: User | None = None, retry_failed: bool = False) -> Transfer | None:
    """Bring the sitter's connected account to their share of ``payment``; answer its transfer, if any.

    Idempotent: with nothing owed either way it changes nothing. Owed money is
    transferred once the sitter can be paid (until then it accrues); a refund
    after the transfer is taken back by a reversal. A transfer the provider
    refused is marked failed and waits for ``retry_failed`` (the admin's
    retry). An outage raises (503) and changes nothing: the same attempt is
    tried again with the same idempotency key.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        transfer = Transfer.objects.filter(payment=payment).first()
        if payment.status not in SETTLED:
            return transfer
        owed = _owed(payment)
        if owed > 0:
            return _transfer(payment, transfer, owed, actor=actor, retry_failed=retry_failed)
        if owed < 0 and transfer is not None:
            return _reverse(payment, transfer, -owed, actor=actor)
        return transfer


def _transfer(
    payment: Payment, transfer: Transfer | None, owed: int, *, actor: User | None, retry_failed: bool
) -> Transfer | None:
    account = ConnectedAccount.objects.filter(user_id=payment.payee_id, provider=payment.provider).first()
    if account is None or not account.payouts_ready:
        return transfer  # accrues until the sitter finishes onboarding
    if transfer is not None and transfer.status == TransferStatus.FAILED and not retry_failed:
        return transfer
    if transfer is not None and transfer.status != TransferStatus.FAILED:
        # One transfer per payment; the ledger cannot owe more after it (refunds only lower the share).
        logger.error("payout_transfer_owed_after_transfer", payment_id=str(payment.pk), owed=owed)
        return transfer
    attempt = (transfer.attempts if transfer is not None else 0) + 1
    if transfer is None:
        transfer = Transfer(
            payment=payment, account=account, currency=payment.currency, transfer_group=payment.reference
        )
    transfer.account, transfer.amount, transfer.attempts = account, owed, attempt
    provider = payment_provider()
    try:
        result = provider.transfer_create(
            account_id=account.provider_account_id,
            amount=owed,
            currency=payment.currency,
            transfer_group=payment.reference,
            source_intent_id=str(payment.provider_intent_id),
            idempotency_key=f"transfer:{payment.pk}:{attempt}",
        )
    except ProviderUnavailable as exc:
        raise unavailable(exc) from exc
    except ProviderRefused as exc:
        logger.warning("payout_transfer_refused", payment_id=str(payment.pk), code=exc.code, error=str(exc))
        transfer.status, transfer.last_error_code = TransferStatus.FAILED, exc.code or "refused"
        transfer.save()
        audit_record(
            action="payout.transfer_failed",
            actor=actor,
            target=transfer,
            data={"reference": payment.reference, "amount": owed, "error": transfer.last_error_code},
        )
        transfer_on_commit(result="failed", amount=owed, currency=payment.currency)
        return transfer
    transfer.status, transfer.last_error_code = TransferStatus.PAID, ""
    transfer.provider_transfer_id = result.id
    transfer.save()
    ledger_post(payment=payment, kind=LedgerKind.TRANSFER, lines=transfer_lines(owed))
    audit_record(
        action="payout.transfer_paid",
        actor=actor,
        target=transfer,
        data={"reference": payment.reference, "amount": owed, "transfer": result.id},
    )
    transfer_on_commit(result="paid", amount=owed, currency=payment.currency)
    return transfer


def _reverse(payment: Payment, transfer: Transfer, excess: int, *, actor: User | None) -> Transfer:
    if transfer.status == TransferStatus.FAILED or not transfer.provider_transfer_id:
        return transfer  # nothing reached the sitter: nothing to take back
    amount = min(excess, transfer.amount - transfer.reversed_amount)
    if amount <= 0:
        return transfer
    key = f"transfer:{transfer.pk}:reversal:{transfer.reversals.count() + 1}"
    provider = payment_provider()
    try:
        result = provider.transfer_reverse(
            transfer_id=transfer.provider_transfer_id, amount=amount, idempotency_key=key
        )
    except ProviderUnavailable as exc:
        raise unavailable(exc) from exc
    except ProviderRefused as exc:
        # Left owed in the ledger: the re-drive asks again (the same key), and staff see the code.
        logger.warning("payout_reversal_refused", payment_id=str(payment.pk), code=exc.code, error=str(exc))
        transfer.last_error_code = exc.code or "refused"
        transfer.save(update_fields=["last_error_code", "updated_at"])
        return transfer
    TransferReversal.objects.create(transfer=transfer, amount=amount, provider_reversal_id=result.id)
    transfer.reversed_amount += amount
    transfer.last_error_code = ""
    if transfer.reversed_amount == transfer.amount:
        transfer.status = TransferStatus.REVERSED
    transfer.save()
    ledger_post(payment=payment, kind=LedgerKind.TRANSFER_REVERSAL, lines=transfer_reversal_lines(amount))
    audit_record(
        action="payout.transfer_reversed",
        actor=actor,
        target=transfer,
        data={"reference": payment.reference, "amount": amount, "reversal": result.id},
    )
    transfer_on_commit(result="reversed", amount=amount, currency=payment.currency)
    return transfer


def transfer_retry(*, transfer: Transfer, actor: User) -> Transfer | None:
    """Try a refused transfer again (the admin's action), with a new attempt and its own key."""
    if transfer.status != TransferStatus.FAILED:
        raise ApplicationError(
            PaymentError.TRANSFER_NOT_FAILED, f"Only a failed transfer is retried; it is {transfer.status}."
        )
    return transfer_settle(payment=transfer.payment, actor=actor, retry_failed=True)


def payouts_release(*, account: ConnectedAccount) -> int:
    """Transfer every earning the account's sitter accrued; return how many payments were settled.

    Safe to run on two workers at once: each payment is settled under its row
    lock from what the ledger still owes, so the second finds nothing to do.
    An outage raises (the task retries); what was settled before it stays.
    """
    payments = list(payment_list_to_transfer(payee=account.user))
    for payment in payments:
        transfer_settle(payment=payment)
    return len(payments)


def transfers_redrive(*, limit: int = 500) -> int:
    """Settle what is still owed either way (a lost task, an outage); return how many payments were tried."""
    tried = 0
    for payment in payment_list_to_transfer()[:limit]:
        tried += 1
        try:
            transfer_settle(payment=payment)
        except ApplicationError as exc:  # an outage: the next run tries again
            logger.warning("payout_redrive_failed", payment_id=str(payment.pk), code=str(exc.code))
    return tried


def payout_balance_fetch(*, sitter: User) -> AccountBalance:
    """The sitter's money: available at the provider (paid out next), and pending.

    Pending is what the provider is still settling on the connected account
    plus the earnings not yet transferred (captured, waiting for onboarding or
    for the transfer).
    """
    _require_sitter(sitter)
    provider = payment_provider()
    untransferred = earnings_untransferred(sitter=sitter)
    account = connected_account_get_for_user(user=sitter, provider=provider.name)
    if account is None:
        return AccountBalance(available=0, pending=untransferred)
    balance = provider_call(
        lambda: provider.balance_retrieve(account_id=account.provider_account_id, currency=settings.PLATFORM_CURRENCY)
    )
    return AccountBalance(available=balance.available, pending=balance.pending + untransferred)
