"""What parents see of a sitter's reliability: each sitter cancellation, no-show and completed booking, dated.

The booking flow records one row per booking and outcome (bookings depend on
sitters, so the booking is a plain id); the public profile counts the last 90
days from these rows (:mod:`sitters.selectors.reliability`).
"""

from __future__ import annotations

import uuid

from django.db import models

__all__ = ["ReliabilityEvent", "ReliabilityKind"]


class ReliabilityKind(models.TextChoices):
    COMPLETED = "completed", "Completed a booking"
    CANCELLED = "cancelled", "Cancelled a booking they had accepted"
    NO_SHOW = "no_show", "Did not show up"


class ReliabilityEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sitter = models.ForeignKey("sitters.SitterProfile", on_delete=models.CASCADE, related_name="reliability_events")
    kind = models.CharField(max_length=16, choices=ReliabilityKind.choices)
    booking_id = models.UUIDField()
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ReliabilityKind.values), name="sitters_reliability_kind_valid"
            ),
            # One outcome of each kind per booking: recording it again changes nothing.
            models.UniqueConstraint(fields=["booking_id", "kind"], name="sitters_reliability_once_per_booking"),
        ]
        indexes = [models.Index(fields=["sitter", "occurred_at"], name="sitters_reliability_recent")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.sitter_id}"
