"""Families a sitter has worked for: the ledger behind "families who rebooked you".

The booking flow records each completed booking through
``sitters.services.clients.client_booking_recorded``; a family with two or
more completed bookings has rebooked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["SitterClient"]


class SitterClient(models.Model):
    sitter = models.ForeignKey("sitters.SitterProfile", on_delete=models.CASCADE, related_name="clients")
    parent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    bookings_count = models.PositiveIntegerField(default=0)
    first_booked_at = models.DateTimeField()
    last_booked_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_booked_at"]
        constraints = [
            models.UniqueConstraint(fields=["sitter", "parent"], name="sitters_client_unique"),
        ]
        indexes = [models.Index(fields=["sitter", "bookings_count"], name="sitters_client_rebooked")]

    def __str__(self) -> str:
        return f"{self.parent_id} x {self.bookings_count} for {self.sitter_id}"
