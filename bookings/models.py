"""Bookings and their history: tables and the invariants that need no other row.

A booking's price, fee and rate are integer minor units of ``currency`` (the
platform's one currency). ``starts_at``/``ends_at`` are stored in UTC; the
sitter's time zone at booking time is kept beside them so the booking reads
in the sitter's local time whatever the sitter changes later. Which moves
between statuses exist, and who may make each, is :mod:`bookings.transitions`;
the services make them, each writing one :class:`BookingEvent`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

__all__ = ["HELD", "Booking", "BookingEvent", "BookingStatus", "HoursStatus", "OvertimeCharge", "OvertimeStatus"]


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted, payment not yet authorised"
    CONFIRMED = "confirmed", "Confirmed (payment authorised)"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired unanswered"
    CANCELLED = "cancelled", "Cancelled"
    DISPUTED = "disputed", "Disputed"


# The statuses in which the booking holds the sitter's time (a sitters.Hold with the booking's id as reference).
HELD = (BookingStatus.ACCEPTED, BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS)


class HoursStatus(models.TextChoices):
    NONE = "none", "Not checked out yet"
    PENDING_CONFIRMATION = "pending_confirmation", "Pending the parent's confirmation"
    CONFIRMED = "confirmed", "Confirmed"


class Booking(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    parent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings_made")
    sitter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings_taken")
    children = models.ManyToManyField("accounts.Child", related_name="bookings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    timezone = models.CharField(max_length=64, help_text="The sitter's IANA time zone when booked.")
    hourly_rate = models.PositiveIntegerField(help_text="The sitter's rate when booked, minor units per hour.")
    price_amount = models.PositiveIntegerField(help_text="Rate x real elapsed time, minor units.")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.REQUESTED)
    notes = models.TextField(blank=True, default="")
    expires_at = models.DateTimeField(help_text="An unanswered request expires then.")
    # The payment of this booking (its reference is the booking's id); the newest when one was replaced.
    payment = models.ForeignKey("payments.Payment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    cancellation_fee_amount = models.PositiveIntegerField(default=0)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=500, blank=True, default="")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    check_in_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_in_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_in_flagged = models.BooleanField(default=False, help_text="Checked in far from the family's home.")
    checked_out_at = models.DateTimeField(null=True, blank=True)
    check_out_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_out_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    hours_status = models.CharField(max_length=24, choices=HoursStatus.choices, default=HoursStatus.NONE)
    # One request sent to several sitters (``sitter_ids``): the first to accept wins, the others are withdrawn.
    request_group = models.UUIDField(null=True, blank=True, help_text="The multi-sitter request it belongs to.")
    # A weekly series (``POST bookings/series``): each occurrence is a booking of its own.
    series_id = models.UUIDField(null=True, blank=True, help_text="The weekly series it belongs to.")
    # Sent-markers of the reminders, claimed by a conditional update so a reminder goes out once.
    reminder_24h_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_2h_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="bookings_start_before_end"),
            models.CheckConstraint(condition=Q(status__in=BookingStatus.values), name="bookings_status_valid"),
            models.CheckConstraint(condition=Q(hours_status__in=HoursStatus.values), name="bookings_hours_valid"),
            models.CheckConstraint(condition=Q(price_amount__gt=0), name="bookings_price_positive"),
            models.CheckConstraint(condition=~Q(parent=F("sitter")), name="bookings_parent_not_sitter"),
            # A fee is only ever charged for a cancellation, and never more than the price.
            models.CheckConstraint(
                condition=Q(cancellation_fee_amount__lte=F("price_amount"))
                & (Q(status=BookingStatus.CANCELLED) | Q(cancellation_fee_amount=0)),
                name="bookings_fee_only_when_cancelled",
            ),
            # Work started means a check-in; hours are only pending or confirmed once checked out.
            models.CheckConstraint(
                condition=~Q(status__in=(BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED))
                | Q(checked_in_at__isnull=False),
                name="bookings_started_checked_in",
            ),
            models.CheckConstraint(
                condition=Q(hours_status=HoursStatus.NONE) | Q(checked_out_at__isnull=False),
                name="bookings_hours_after_check_out",
            ),
        ]
        indexes = [
            models.Index(fields=["parent", "-starts_at"], name="bookings_by_parent"),
            models.Index(fields=["sitter", "-starts_at"], name="bookings_by_sitter"),
            models.Index(
                fields=["expires_at"], condition=Q(status=BookingStatus.REQUESTED), name="bookings_requested_expiry"
            ),
            models.Index(
                fields=["request_group"], condition=Q(request_group__isnull=False), name="bookings_by_request_group"
            ),
            models.Index(fields=["series_id"], condition=Q(series_id__isnull=False), name="bookings_by_series"),
            models.Index(fields=["starts_at"], condition=Q(status__in=HELD), name="bookings_held_by_start"),
            # The admin home's "Bookings today" and the changelist it links to: a day of starts in any status.
            models.Index(fields=["starts_at"], name="bookings_by_start"),
        ]

    def __str__(self) -> str:
        return f"Booking {self.pk} {self.status}"


class BookingEvent(models.Model):
    """One move of a booking: who made it, when, from which status to which, and why. Append-only."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True, help_text="Empty for the request itself.")
    to_status = models.CharField(max_length=16)
    reason = models.CharField(max_length=500, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["booking", "created_at"], name="bookings_event_booking"),
            # Analytics count the moves made in a window (bench/analytics_plans.py: 30 days of 30,000 events,
            # a sequential scan 9.2 ms, this index 2.1 ms).
            models.Index(fields=["created_at"], name="bookings_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class OvertimeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its next attempt"
    CHARGED = "charged", "Charged"
    FAILED = "failed", "Failed after every attempt (the parent was told)"


class OvertimeCharge(models.Model):
    """Worked time beyond a booking's authorisation, owed as a second payment (``<booking id>:overtime``).

    Written with the hours' confirmation, so the debt is never only a log
    line: the first attempt follows the commit, and the beat job
    (``bookings.booking_overtime_charge_due``) re-drives what is still
    pending at ``next_attempt_at``, claimed once per attempt (``claimed_at``),
    up to ``BOOKING_OVERTIME_MAX_ATTEMPTS`` with capped backoff. The last
    failure marks it failed and tells the parent; staff see it in the admin.
    """

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="overtime")
    amount = models.PositiveIntegerField(help_text="Minor units beyond the authorised price.")
    status = models.CharField(max_length=16, choices=OvertimeStatus.choices, default=OvertimeStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="Set while a worker makes an attempt.")
    last_error = models.CharField(max_length=64, blank=True, default="")
    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="bookings_overtime_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=OvertimeStatus.values), name="bookings_overtime_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status=OvertimeStatus.PENDING), name="bookings_overtime_due"
            )
        ]

    def __str__(self) -> str:
        return f"Overtime {self.amount} of booking {self.booking_id} ({self.status})"


# Live tracking and safety timers keep their tables in their own package; imported here so they are bookings' models.
from bookings.tracking.models import BookingLocation, SafetyAlert  # noqa: E402, F401
