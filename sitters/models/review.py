"""Reviews of a sitter by families. Written by the booking flow (one per booking); read by anyone signed in.

The profile's ``rating_avg``/``rating_count`` are kept by the review services
in the same transaction, so search sorts and filters on plain columns.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__ = ["Review"]


class Review(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sitter = models.ForeignKey("sitters.SitterProfile", on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The booking reviewed (bookings depend on sitters, so a plain id, unique: one review per booking).
    booking_id = models.UUIDField(null=True, blank=True, unique=True)
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, default="", help_text="Cleaned of markup (nh3).")
    hidden = models.BooleanField(default=False, help_text="Hidden by staff moderation: not shown, not counted.")
    flagged = models.BooleanField(
        default=False, help_text="A low rating (3 or less), for staff to look at (the admin filters on it)."
    )
    reply = models.TextField(blank=True, default="", help_text="The sitter's one answer, cleaned of markup (nh3).")
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="sitters_review_rating_range"
            ),
        ]
        indexes = [
            models.Index(fields=["sitter", "-created_at"], name="sitters_review_sitter_recent"),
            models.Index(fields=["-created_at"], condition=models.Q(flagged=True), name="sitters_review_flagged"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ for {self.sitter_id}"
