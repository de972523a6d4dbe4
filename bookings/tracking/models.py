"""Tables of live tracking and safety timers (loaded with bookings.models, so they are bookings' models)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class BookingLocation(models.Model):
    """One fix the sitter's phone took during an in-progress booking. Deleted some days after the booking ends."""

    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="locations")
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    accuracy_m = models.FloatField(null=True, blank=True, help_text="The phone's accuracy radius, metres.")
    recorded_at = models.DateTimeField(help_text="When the phone took the fix.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90), name="booking_location_lat"),
            models.CheckConstraint(condition=Q(longitude__gte=-180, longitude__lte=180), name="booking_location_lon"),
            models.CheckConstraint(
                condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0), name="booking_location_accuracy"
            ),
            # A fix sent twice (a retried batch) is stored once.
            models.UniqueConstraint(fields=["booking", "recorded_at"], name="booking_location_once"),
        ]

    def __str__(self) -> str:
        return f"Location of {self.booking_id} at {self.recorded_at:%Y-%m-%d %H:%M:%S}"


class SafetyAlertKind(models.TextChoices):
    """A safety timer; the alert it opens is an emergency alert of the same kind (``Emergency.kind``)."""

    MISSED_CHECK_IN = "missed_check_in", "Missed check-in"
    PARENT_OVERDUE = "parent_overdue", "Parent overdue"


class SafetyAlert(models.Model):
    """A safety timer that fired for one booking: the claim (unique per booking and kind), so it alerts once.

    The alert itself is the alerter's (an emergency alert, ``alert_id``; see
    bookings/tracking/alerts.py). ``settled_at`` is set when the booking left
    the state the timer watched (checked in, checked out, cancelled) and the
    alert was closed for that reason.
    """

    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="safety_alerts")
    kind = models.CharField(max_length=24, choices=SafetyAlertKind.choices)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    alert_id = models.UUIDField(null=True, blank=True, help_text="The alert it opened (GET emergencies/{id}).")
    settled_at = models.DateTimeField(null=True, blank=True, help_text="When the booking left the watched state.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["booking", "kind"], name="safety_alert_once"),
            models.CheckConstraint(condition=Q(kind__in=SafetyAlertKind.values), name="safety_alert_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.booking_id}"
