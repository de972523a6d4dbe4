"""The one writer of the ledger, and the movements each payment step posts.

:func:`ledger_post` is the only code that creates :class:`LedgerEntry` rows:
it refuses a transaction whose debits and credits differ, so every ledger
transaction balances, and so does the ledger per payment and overall. The
movements below say which accounts each step moves:

- authorisation of A: the card's credit is held (parent_card_hold +A, parent_card -A);
- release: the hold goes back (the reverse);
- capture of C with fee F: the hold goes back, and C arrives at the provider,
  owed C-F to the sitter and F to the platform;
- refund of R with fee share f: R leaves the provider, R-f from the sitter's
  share and f from the platform's;
- transfer of T to the sitter's connected account: what is owed to the sitter
  leaves the platform's balance at the provider (sitter_payable +T,
  provider_clearing -T); a transfer reversal of V brings it back (the reverse).
  After a refund that follows a transfer, sitter_payable is positive (the
  sitter holds more than their share) until the reversal.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from payments.models import LedgerAccount, LedgerEntry, LedgerKind, LedgerSide, Payment


class LedgerUnbalanced(ValueError):
    """A ledger transaction whose debits and credits differ, or that moves nothing: never written."""


@dataclass(frozen=True)
class Line:
    account: LedgerAccount
    side: LedgerSide
    amount: int


def debit(account: LedgerAccount, amount: int) -> Line:
    return Line(account, LedgerSide.DEBIT, amount)


def credit(account: LedgerAccount, amount: int) -> Line:
    return Line(account, LedgerSide.CREDIT, amount)


def ledger_post(*, payment: Payment, kind: LedgerKind, lines: Sequence[Line]) -> uuid.UUID:
    """Write ``lines`` as one balanced ledger transaction of ``payment`` and return its id.

    Zero lines (a fee of nothing) are left out; a negative line, or debits
    that do not equal credits, raise :class:`LedgerUnbalanced` and nothing is
    written. Call it inside the transaction that changes the payment.
    """
    kept = [line for line in lines if line.amount != 0]
    if any(line.amount < 0 for line in kept):
        raise LedgerUnbalanced(f"{kind}: a ledger line cannot be negative: {kept}")
    debits = sum(line.amount for line in kept if line.side == LedgerSide.DEBIT)
    credits = sum(line.amount for line in kept if line.side == LedgerSide.CREDIT)
    if debits != credits or debits == 0:
        raise LedgerUnbalanced(f"{kind}: debits {debits} != credits {credits}")
    transaction_id = uuid.uuid4()
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            transaction_id=transaction_id,
            kind=kind,
            payment=payment,
            account=line.account,
            side=line.side,
            amount=line.amount,
            currency=payment.currency,
        )
        for line in kept
    )
    return transaction_id


def authorisation_lines(amount: int) -> list[Line]:
    return [debit(LedgerAccount.PARENT_CARD_HOLD, amount), credit(LedgerAccount.PARENT_CARD, amount)]


def release_lines(amount: int) -> list[Line]:
    return [debit(LedgerAccount.PARENT_CARD, amount), credit(LedgerAccount.PARENT_CARD_HOLD, amount)]


def capture_lines(*, authorised: int, captured: int, fee: int) -> list[Line]:
    return [
        *release_lines(authorised),
        debit(LedgerAccount.PROVIDER_CLEARING, captured),
        credit(LedgerAccount.SITTER_PAYABLE, captured - fee),
        credit(LedgerAccount.PLATFORM_FEES, fee),
    ]


def refund_lines(*, amount: int, fee_share: int) -> list[Line]:
    return [
        debit(LedgerAccount.SITTER_PAYABLE, amount - fee_share),
        debit(LedgerAccount.PLATFORM_FEES, fee_share),
        credit(LedgerAccount.PROVIDER_CLEARING, amount),
    ]


def transfer_lines(amount: int) -> list[Line]:
    return [debit(LedgerAccount.SITTER_PAYABLE, amount), credit(LedgerAccount.PROVIDER_CLEARING, amount)]


def transfer_reversal_lines(amount: int) -> list[Line]:
    return [debit(LedgerAccount.PROVIDER_CLEARING, amount), credit(LedgerAccount.SITTER_PAYABLE, amount)]
