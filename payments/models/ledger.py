"""The double-entry ledger: every movement of money is entries that balance, never changed afterwards.

Rows are only ever added, by :func:`payments.services.ledger.ledger_post`, the
one writer, which refuses a transaction whose debits and credits differ. The
database refuses non-positive amounts and unknown accounts or sides; this
module refuses updates and deletes from the ORM (a correction is a new
transaction that reverses the old one).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models import Q

from payments.models.payments import Payment

__all__ = ["LedgerAccount", "LedgerEntry", "LedgerKind", "LedgerSide"]


class LedgerAccount(models.TextChoices):
    """Where money sits. Balances are debits minus credits."""

    PARENT_CARD = "parent_card", "The parent's card (credit available)"
    PARENT_CARD_HOLD = "parent_card_hold", "Held on the parent's card by an authorisation"
    PROVIDER_CLEARING = "provider_clearing", "Captured at the provider, not yet paid out"
    SITTER_PAYABLE = "sitter_payable", "Owed to the sitter"
    PLATFORM_FEES = "platform_fees", "The platform's fee"
    DISPUTED = "disputed", "Withdrawn by the card network while a dispute is open"
    DISPUTE_LOSSES = "dispute_losses", "Lost to disputes (the platform's, until recovered)"


class LedgerSide(models.TextChoices):
    DEBIT = "debit", "Debit"
    CREDIT = "credit", "Credit"


class LedgerKind(models.TextChoices):
    """The movement a ledger transaction records."""

    AUTHORISATION = "authorisation", "Authorisation hold"
    RELEASE = "release", "Authorisation released"
    CAPTURE = "capture", "Capture and platform fee"
    REFUND = "refund", "Refund"
    TRANSFER = "transfer", "Transfer (payout) of the sitter's share to their connected account"
    TRANSFER_REVERSAL = "transfer_reversal", "Transfer taken back after a refund"
    DISPUTE = "dispute", "Dispute: funds withdrawn"
    DISPUTE_WON = "dispute_won", "Dispute won: funds reinstated"
    DISPUTE_LOST = "dispute_lost", "Dispute lost: funds kept by the card network"


class ImmutableQuerySet(models.QuerySet["LedgerEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("Ledger entries are immutable: post a reversing transaction instead.")

    def delete(self) -> NoReturn:
        raise TypeError("Ledger entries are immutable: post a reversing transaction instead.")


class LedgerEntry(models.Model):
    """One line of a ledger transaction (``transaction_id``); a transaction's lines balance."""

    transaction_id = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=20, choices=LedgerKind.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="ledger_entries")
    account = models.CharField(max_length=32, choices=LedgerAccount.choices)
    side = models.CharField(max_length=6, choices=LedgerSide.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_ledger_amount_positive"),
            models.CheckConstraint(condition=Q(side__in=LedgerSide.values), name="payments_ledger_side_valid"),
            models.CheckConstraint(condition=Q(account__in=LedgerAccount.values), name="payments_ledger_account_valid"),
            models.CheckConstraint(condition=Q(kind__in=LedgerKind.values), name="payments_ledger_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["payment", "account"], name="payments_ledger_by_account"),
            # Analytics sum a window's movements (bench/analytics_plans.py: 30 days of 30,000 entries,
            # a sequential scan 2.3 ms, this index 0.7 ms).
            models.Index(fields=["created_at"], name="payments_ledger_created"),
            # A period of one account's movements: the admin home's "Revenue today" reads the clearing account's.
            models.Index(fields=["account", "created_at"], name="payments_ledger_account_time"),
        ]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.kind} {self.side} {self.account} {self.amount} {self.currency}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("Ledger entries are immutable: post a reversing transaction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("Ledger entries are immutable: post a reversing transaction instead.")
