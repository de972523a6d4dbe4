"""A parent's account at the payment provider and the cards saved on it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__ = ["PaymentCustomer", "PaymentMethod"]


class PaymentCustomer(models.Model):
    """The provider's customer object of one parent: one per parent and provider.

    Created on first need (a card setup, an authorisation) with the idempotency
    key ``customer:<user id>``, so two racing requests get one provider customer
    and the unique constraint keeps one row.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payment_customers")
    provider = models.CharField(max_length=20)
    provider_customer_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="payments_customer_one_per_user"),
            models.UniqueConstraint(fields=["provider", "provider_customer_id"], name="payments_customer_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_customer_id}"


class PaymentMethod(models.Model):
    """A card the provider holds for the customer; we keep what a list shows (brand, last four, expiry).

    Rows follow the provider (``payment_methods_sync``): a card added with a
    SetupIntent appears when the provider reports it, and a removed one is
    detached there first. The newest card pays off-session authorisations.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(PaymentCustomer, on_delete=models.CASCADE, related_name="methods")
    provider_method_id = models.CharField(max_length=255)
    brand = models.CharField(max_length=32, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "provider_method_id"], name="payments_method_unique_id"),
        ]
        indexes = [models.Index(fields=["customer", "-created_at"], name="payments_method_newest")]

    def __str__(self) -> str:
        return f"{self.brand} ****{self.last4}"
