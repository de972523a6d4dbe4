"""Sitter payouts through Stripe Connect: each sitter's connected account, and the transfers made to it.

Money reaches a sitter in two hops. A capture leaves the sitter's share (the
capture less the platform fee) owed to them in the ledger (``sitter_payable``);
a :class:`Transfer` then moves it from the platform's balance to the sitter's
connected account, grouped per booking (``transfer_group`` = the payment's
reference). The provider pays the connected account out to the sitter's bank
on its own schedule. A refund after the transfer takes the sitter's part of it
back with a :class:`TransferReversal`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from payments.models.payments import Payment

__all__ = ["ConnectedAccount", "Transfer", "TransferReversal", "TransferStatus"]


class ConnectedAccount(models.Model):
    """A sitter's Express account at the provider: one per sitter and provider.

    Created on the sitter's first onboarding request with the idempotency key
    ``connected-account:<user id>``, so two racing first requests make one
    provider account, and the unique constraint keeps one row. The flags mirror
    the provider (``account.updated``, or a re-read on demand); the sitter can
    be paid once ``payouts_ready``: details submitted and payouts enabled.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="connected_accounts")
    provider = models.CharField(max_length=20)
    provider_account_id = models.CharField(max_length=255)
    details_submitted = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    onboarded_at = models.DateTimeField(null=True, blank=True, help_text="When payouts first became possible.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="payments_connected_one_per_user"),
            models.UniqueConstraint(fields=["provider", "provider_account_id"], name="payments_connected_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_account_id}"

    @property
    def payouts_ready(self) -> bool:
        return self.details_submitted and self.payouts_enabled


class TransferStatus(models.TextChoices):
    PAID = "paid", "Paid to the connected account"
    FAILED = "failed", "Refused by the provider (retry from the admin)"
    REVERSED = "reversed", "Paid, then taken back in full"


class Transfer(models.Model):
    """The sitter's share of one payment, sent to their connected account: at most one per payment.

    ``amount`` is what was sent; ``reversed_amount`` what refunds took back
    since. Each attempt has its own idempotency key (``transfer:<payment
    id>:<attempt>``), derived from committed state, so a retry after a timeout
    replays the first answer instead of paying twice.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="transfer")
    account = models.ForeignKey(ConnectedAccount, on_delete=models.PROTECT, related_name="transfers")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reversed_amount = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=TransferStatus.choices)
    transfer_group = models.CharField(max_length=64, help_text="The booking's reference: its transfers group there.")
    provider_transfer_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_transfer_amount_positive"),
            models.CheckConstraint(
                condition=Q(reversed_amount__gte=0, reversed_amount__lte=F("amount")),
                name="payments_transfer_reversed_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TransferStatus.values), name="payments_transfer_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=TransferStatus.PAID) | ~Q(provider_transfer_id=""),
                name="payments_transfer_paid_has_id",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="payments_transfer_by_status")]
        # Finance: may retry a refused transfer from the admin (the refund permission is the finance one).

    def __str__(self) -> str:
        return f"transfer {self.amount} {self.currency} for {self.transfer_group}"


class TransferReversal(models.Model):
    """Part of a transfer taken back from the sitter's connected account after a refund."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="reversals")
    amount = models.BigIntegerField()
    provider_reversal_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_reversal_amount_positive"),
            models.UniqueConstraint(fields=["transfer", "provider_reversal_id"], name="payments_reversal_unique_id"),
        ]

    def __str__(self) -> str:
        return f"reversal {self.amount} of {self.transfer_id}"
