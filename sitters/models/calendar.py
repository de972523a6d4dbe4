"""A sitter's calendar: weekly windows, dated exceptions, materialised spans and holds.

- ``WeeklyWindow``: recurring local hours in the sitter's one time zone
  (minutes from local midnight, end 1440 = midnight at the end of the day).
- ``AvailabilityException``: a dated change: a day off (no times), a busy part
  of a day (``available`` false with times) or extra hours (true with times).
- ``AvailabilitySpan``: the windows and exceptions turned into UTC intervals
  for the next ``SITTER_AVAILABILITY_HORIZON_DAYS`` days, contiguous pieces
  merged (Monday 18:00-24:00 and Tuesday 00:00-07:00 are one span). Written
  only by the calendar services, in the transaction that changes the windows
  or exceptions, and moved forward by a beat job. Search asks "does one span
  contain the requested range" here, with daylight saving already resolved.
- ``Hold``: a busy period bookings write and release. Two holds of one
  sitter never overlap: an exclusion constraint declared below (enforced on
  PostgreSQL, with btree_gist from migration 0002), a check under SQLite's
  IMMEDIATE write lock elsewhere (:mod:`sitters.services.calendar.holds`).
"""

from __future__ import annotations

import uuid

from django.db import models

from sitters.models.constraints import no_overlap_per_sitter

__all__ = ["AvailabilityException", "AvailabilitySpan", "Hold", "HoldKind", "WeeklyWindow"]

MINUTES_PER_DAY = 24 * 60
# The exclusion constraints' names: the hold services tell an overlap from other refusals by this name.
HOLD_NO_OVERLAP = "sitters_hold_no_overlap"
SPAN_NO_OVERLAP = "sitters_span_no_overlap"


class WeeklyWindow(models.Model):
    sitter = models.ForeignKey("sitters.SitterProfile", on_delete=models.CASCADE, related_name="windows")
    weekday = models.PositiveSmallIntegerField(help_text="0 Monday … 6 Sunday")
    start_minute = models.PositiveSmallIntegerField()
    end_minute = models.PositiveSmallIntegerField(help_text="1440: midnight at the end of the day")

    class Meta:
        ordering = ["weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="sitters_window_weekday_range"),
            models.CheckConstraint(
                condition=models.Q(start_minute__lt=models.F("end_minute"), end_minute__lte=MINUTES_PER_DAY),
                name="sitters_window_start_before_end",
            ),
            models.UniqueConstraint(fields=["sitter", "weekday", "start_minute"], name="sitters_window_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start_minute}-{self.end_minute}"


class AvailabilityException(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sitter = models.ForeignKey("sitters.SitterProfile", on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField()
    available = models.BooleanField()
    start_minute = models.PositiveSmallIntegerField(null=True, blank=True)
    end_minute = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "start_minute"]
        constraints = [
            # Both times or neither; "available" with no times would say nothing.
            models.CheckConstraint(
                condition=models.Q(start_minute__isnull=True, end_minute__isnull=True, available=False)
                | models.Q(
                    start_minute__isnull=False,
                    end_minute__isnull=False,
                    start_minute__lt=models.F("end_minute"),
                    end_minute__lte=MINUTES_PER_DAY,
                ),
                name="sitters_exception_times_valid",
            ),
        ]
        indexes = [models.Index(fields=["sitter", "date"], name="sitters_exception_sitter_date")]

    def __str__(self) -> str:
        return f"{self.date} {'+' if self.available else '-'}"


class AvailabilitySpan(models.Model):
    sitter = models.ForeignKey("sitters.SitterProfile", on_delete=models.CASCADE, related_name="spans")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")), name="sitters_span_start_before_end"
            ),
            # Search reads "the last span starting at or before t" and is exact only while spans never overlap;
            # the calendar services merge them, and PostgreSQL holds the rule too.
            no_overlap_per_sitter(SPAN_NO_OVERLAP),
        ]
        # ends_at is included so search's "last span starting at or before t" is an index-only probe.
        indexes = [models.Index(fields=["sitter", "starts_at"], include=["ends_at"], name="sitters_span_sitter_start")]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"


class HoldKind(models.TextChoices):
    BOOKING = "booking"
    BLOCKED = "blocked"


class Hold(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sitter = models.ForeignKey("sitters.SitterProfile", on_delete=models.CASCADE, related_name="holds")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=HoldKind.choices, default=HoldKind.BOOKING)
    # The booking (or other owner) that placed it; releasing goes by this reference.
    reference = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")), name="sitters_hold_start_before_end"
            ),
            models.CheckConstraint(condition=models.Q(kind__in=HoldKind.values), name="sitters_hold_kind_valid"),
            no_overlap_per_sitter(HOLD_NO_OVERLAP),
        ]
        indexes = [models.Index(fields=["sitter", "starts_at"], include=["ends_at"], name="sitters_hold_sitter_start")]

    def __str__(self) -> str:
        return f"{self.kind} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"
