"""The simulated provider's own records (embedded default): what Stripe would hold, kept in our database."""

from __future__ import annotations

from django.db import models

__all__ = ["SimulatedObject"]


class SimulatedObject(models.Model):
    """A customer, card, SetupIntent, PaymentIntent or refund of the simulated provider, as JSON.

    ``idempotency_key`` is unique, as Stripe's Idempotency-Key is for 24 hours:
    a repeated call with the same key gets the first answer back.
    """

    id = models.CharField(primary_key=True, max_length=64)
    kind = models.CharField(max_length=32)
    data = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.id
