"""A payment for one referenced object (a booking), its refunds, and its state as the provider reports it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from guardiannest.crypto.fields import EncryptedTextField
from payments.models.customers import PaymentMethod

__all__ = ["MAX_AMOUNT", "Payment", "PaymentStatus", "Refund", "RefundStatus"]

# Stripe's ceiling for one charge in a two-decimal currency (999,999.99).
MAX_AMOUNT = 99_999_999


class PaymentStatus(models.TextChoices):
    """The provider's intent states, in our words (Stripe's name in brackets where it differs)."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method", "Needs a card (none saved, or it was declined)"
    REQUIRES_ACTION = "requires_action", "The bank asks the parent to authenticate"
    AUTHORISED = "authorised", "Authorised, not captured (requires_capture)"
    CAPTURED = "captured", "Captured (succeeded)"
    PARTIALLY_REFUNDED = "partially_refunded", "Captured, part refunded"
    REFUNDED = "refunded", "Captured, all refunded"
    RELEASED = "released", "Authorisation released, nothing taken (canceled)"
    FAILED = "failed", "The provider refused the payment for good"


# Money was taken: captured_amount is set and refunds may follow.
SETTLED = (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
# Over: a new authorisation for the same reference makes a new payment.
CLOSED = (PaymentStatus.RELEASED, PaymentStatus.FAILED)


class Payment(models.Model):
    """Money a payer owes a payee for one referenced object, through the provider's PaymentIntent.

    Payments know the booking only as ``reference`` (its id as a string): the
    bookings app calls payments, never the other way round. Amounts are integer
    minor units of ``currency``. The database holds the money rules that need
    no other row: nothing captured above the authorisation, nothing refunded
    above the capture, and each status agrees with the amounts. One reference
    has at most one payment that is not released or failed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments_made")
    payee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments_received")
    reference = models.CharField(max_length=64, help_text="The id of the object paid for (a booking).")
    amount = models.BigIntegerField(help_text="Authorised amount, minor units.")
    currency = models.CharField(max_length=3)
    fee_amount = models.BigIntegerField(default=0, help_text="Platform fee kept from the capture, minor units.")
    captured_amount = models.BigIntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=32, choices=PaymentStatus.choices, default=PaymentStatus.REQUIRES_PAYMENT_METHOD
    )
    provider = models.CharField(max_length=20)
    provider_intent_id = models.CharField(max_length=255, null=True, blank=True)
    # Handed to the payer only while the bank asks them to authenticate (requires_action).
    client_secret = EncryptedTextField(blank=True, default="")
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempts = models.PositiveIntegerField(
        default=0, help_text="Confirmations tried; each has its own idempotency key."
    )
    last_error_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    authorised_at = models.DateTimeField(null=True, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    # Re-authorisation before the provider's 7-day limit (payments.services.reauthorisation):
    # a worker claims the row by setting reauth_claimed_at with a conditional update.
    reauth_claimed_at = models.DateTimeField(null=True, blank=True)
    reauth_failed_at = models.DateTimeField(
        null=True, blank=True, help_text="The last re-authorisation failed; the referenced object was told."
    )
    reauthorisations = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0, amount__lte=MAX_AMOUNT), name="payments_amount_range"),
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="payments_status_valid"),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=0, captured_amount__lte=F("amount")),
                name="payments_captured_within_authorised",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("captured_amount")),
                name="payments_refunded_within_captured",
            ),
            models.CheckConstraint(
                condition=Q(fee_amount__gte=0, fee_amount__lte=F("captured_amount")),
                name="payments_fee_within_captured",
            ),
            models.CheckConstraint(
                condition=(Q(status__in=SETTLED) & Q(captured_amount__gt=0))
                | (~Q(status__in=SETTLED) & Q(captured_amount=0, refunded_amount=0, fee_amount=0)),
                name="payments_captured_iff_settled",
            ),
            models.CheckConstraint(
                condition=~Q(status=PaymentStatus.CAPTURED) | Q(refunded_amount=0),
                name="payments_captured_not_refunded",
            ),
            models.CheckConstraint(
                condition=~Q(status=PaymentStatus.PARTIALLY_REFUNDED)
                | Q(refunded_amount__gt=0, refunded_amount__lt=F("captured_amount")),
                name="payments_partially_refunded_amounts",
            ),
            models.CheckConstraint(
                condition=~Q(status=PaymentStatus.REFUNDED) | Q(refunded_amount=F("captured_amount")),
                name="payments_refunded_all",
            ),
            models.UniqueConstraint(
                fields=["reference"], condition=~Q(status__in=CLOSED), name="payments_one_open_per_reference"
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_intent_id"],
                condition=Q(provider_intent_id__isnull=False),
                name="payments_intent_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["payer", "-created_at"], name="payments_by_payer"),
            models.Index(fields=["payee", "-created_at"], name="payments_by_payee"),
            models.Index(fields=["reference"], name="payments_by_reference"),
        ]
        # Finance: may give money back (the admin's refund action; the API checks staff).
        permissions = [("refund_payment", "Can refund payments")]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency} {self.status}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending at the provider"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Refund(models.Model):
    """Money given back from a capture, at the provider; its sum never passes the captured amount."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=RefundStatus.choices, default=RefundStatus.SUCCEEDED)
    provider_refund_id = models.CharField(max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_refund_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=RefundStatus.values), name="payments_refund_status_valid"),
            models.UniqueConstraint(fields=["payment", "provider_refund_id"], name="payments_refund_unique_id"),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} of {self.payment_id}"
