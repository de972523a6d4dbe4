"""Disputes (chargebacks): a case for staff per provider dispute, kept as the provider reports it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from payments.models.payments import Payment

__all__ = ["DisputeCase", "DisputeStatus"]


class DisputeStatus(models.TextChoices):
    """Stripe's dispute statuses. ``warning_*`` are inquiries: no money is withdrawn."""

    WARNING_NEEDS_RESPONSE = "warning_needs_response", "Inquiry: needs a response"
    WARNING_UNDER_REVIEW = "warning_under_review", "Inquiry: under review"
    WARNING_CLOSED = "warning_closed", "Inquiry closed"
    NEEDS_RESPONSE = "needs_response", "Needs a response (evidence)"
    UNDER_REVIEW = "under_review", "Under review by the bank"
    WON = "won", "Won"
    LOST = "lost", "Lost"


# How far along a dispute is: a report of an earlier stage (a late or repeated event) changes nothing.
DISPUTE_STAGE = {
    DisputeStatus.WARNING_NEEDS_RESPONSE: 0,
    DisputeStatus.NEEDS_RESPONSE: 0,
    DisputeStatus.WARNING_UNDER_REVIEW: 1,
    DisputeStatus.UNDER_REVIEW: 1,
    DisputeStatus.WARNING_CLOSED: 2,
    DisputeStatus.WON: 2,
    DisputeStatus.LOST: 2,
}
DISPUTE_CLOSED = (DisputeStatus.WARNING_CLOSED, DisputeStatus.WON, DisputeStatus.LOST)


class DisputeCase(models.Model):
    """One chargeback (or inquiry) on a payment, opened for staff when the provider reports it.

    ``funds_withdrawn`` says whether the ledger holds the disputed amount
    (``disputed`` account); the outcome moves it back to the provider's
    clearing (won) or to ``dispute_losses`` (lost). ``handled_by`` is the
    finance staff member who took the case.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    provider = models.CharField(max_length=20)
    provider_dispute_id = models.CharField(max_length=255)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=32, choices=DisputeStatus.choices)
    evidence_due_by = models.DateTimeField(null=True, blank=True)
    funds_withdrawn = models.BooleanField(default=False)
    outcome = models.CharField(max_length=16, blank=True, help_text="won, lost or warning_closed once closed.")
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_dispute_id"], name="payments_dispute_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_dispute_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=DisputeStatus.values), name="payments_dispute_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "-opened_at"], name="payments_dispute_by_status")]
        # Finance: may take a dispute case (the admin's action).
        permissions = [("handle_dispute", "Can handle dispute cases")]

    def __str__(self) -> str:
        return f"dispute {self.provider_dispute_id} {self.status}"
