"""Provider events received by webhook: the event id is the key that makes a repeat do nothing."""

from __future__ import annotations

from django.db import models

from payments.models.payments import Payment

__all__ = ["ProviderEvent"]


class ProviderEvent(models.Model):
    """One provider event, stored in the same transaction as its effect (unique per provider)."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    handled = models.BooleanField(default=False, help_text="False: a type we do not act on, logged only.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payments_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"
