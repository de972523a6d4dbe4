"""Tables of emergencies: the alert, each rung of its escalation ladder, and each response to it.

The alert row is the source of truth and is committed before anything leaves.
Every fan-out, the first one included, is an :class:`EscalationStep` row with
the time it is due: a Celery task runs it at that time, and a beat job re-runs
any step whose task was lost (a dead worker, a Redis restart). A step is sent
at most once: its row is claimed with a conditional update in the same
transaction that writes its notifications, and ``(emergency, number)`` is
unique, so a step scheduled twice is still one row.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from guardiannest.constraints import coordinate_constraints
from guardiannest.crypto.fields import EncryptedTextField

__all__ = ["Emergency", "EmergencyKind", "EmergencyResponse", "EmergencyStatus", "EscalationStep", "StepStatus"]


class EmergencyKind(models.TextChoices):
    """Why the alert was raised. Every kind runs the escalation ladder (emergencies/ladder.py)."""

    SOS = "sos", "SOS"  # a parent or a sitter pressed the panic button
    # A booking's safety timers (bookings.tracking): one alert per booking and kind.
    MISSED_CHECK_IN = "missed_check_in", "Missed check-in"  # confirmed, start + grace passed, nobody checked in
    PARENT_OVERDUE = "parent_overdue", "Parent overdue"  # the sitter reports the parent not back after the end


# The kinds a booking's safety timer opens: never raised by hand, deduplicated per booking.
TIMER_KINDS = (EmergencyKind.MISSED_CHECK_IN, EmergencyKind.PARENT_OVERDUE)


class EmergencyStatus(models.TextChoices):
    ACTIVE = "active"  # nobody has answered yet: the ladder climbs
    ACKNOWLEDGED = "acknowledged"  # someone is on it: the ladder stops
    RESOLVED = "resolved"  # over, with notes


class Emergency(models.Model):
    """One alert (an SOS or a booking's safety timer): who raised it, where, during which booking, how it ended."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=EmergencyKind.choices, default=EmergencyKind.SOS)
    # Empty only for an alert the platform raised (a missed check-in); an SOS always has its raiser.
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="emergencies"
    )
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="emergencies"
    )
    # The parent whose family is told (and whose emergency contacts are called): the booking's parent,
    # or the parent who raised it; empty for a sitter's SOS outside any booking (staff only).
    family = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The signed-in session (device) that raised it: a repeat from it within the window is the same alert.
    device = models.CharField(max_length=64, blank=True)
    # Where the phone was (an SOS), or the sitter's last known place (a parent overdue); empty when nobody's
    # place is known (a missed check-in: the sitter never arrived, and the family's home stays encrypted).
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    message = EncryptedTextField(blank=True)
    status = models.CharField(max_length=16, choices=EmergencyStatus.choices, default=EmergencyStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_notes = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "emergency alert"
        indexes = [
            models.Index(fields=["raised_by", "device", "-created_at"], name="emergencies_raiser_device"),
            models.Index(fields=["-created_at"], name="emergencies_active", condition=Q(status="active")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EmergencyKind.values), name="emergencies_emergency_kind_valid"),
            # An SOS is always someone's, at a place.
            models.CheckConstraint(
                condition=~Q(kind=EmergencyKind.SOS) | Q(raised_by__isnull=False, latitude__isnull=False),
                name="emergencies_sos_has_raiser_and_place",
            ),
            # A safety timer alerts once per booking and kind, whatever races (the beat job on two workers).
            models.UniqueConstraint(
                fields=["booking", "kind"],
                condition=~Q(kind=EmergencyKind.SOS),
                name="emergencies_timer_alert_once",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EmergencyStatus.values), name="emergencies_emergency_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                name="emergencies_emergency_resolved_has_time",
            ),
            *coordinate_constraints("emergencies_emergency"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {str(self.pk)[:8]} ({self.status})"


class StepStatus(models.TextChoices):
    PENDING = "pending"  # due at due_at
    SENT = "sent"  # its notifications were written (and go out through messaging's outbox)
    CANCELLED = "cancelled"  # the alert was answered before it was due


class EscalationStep(models.Model):
    """One rung of an alert's ladder: who it tells (``rung``, from emergencies/ladder.py) and when.

    Number 0 is the first fan-out at raise; each sent step writes the next one,
    due ``EMERGENCY_ESCALATION_SECONDS`` later (the first escalation of a safety timer's alert waits
    ``EMERGENCY_TIMER_FIRST_STEP_SECONDS``), until the alert is answered.
    ``notices`` records what the step wrote: one entry per notification, with
    its audience (``parent``, ``contact`` with its priority, ``staff``), so
    the timeline shows each delivery attempt without copying any address.
    """

    id = models.BigAutoField(primary_key=True)
    emergency = models.ForeignKey(Emergency, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField()
    rung = models.CharField(max_length=32)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    notices = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["emergency", "number"]
        indexes = [
            # The re-drive job only ever reads steps still waiting.
            models.Index(fields=["due_at"], name="emergencies_step_pending", condition=Q(status="pending")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["emergency", "number"], name="emergencies_step_once"),
            models.CheckConstraint(condition=Q(status__in=StepStatus.values), name="emergencies_step_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="emergencies_step_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"step {self.number} ({self.rung}) {self.status}"


class EmergencyResponse(models.Model):
    """Someone answered: each acknowledgement (once per person) and the resolution, for the timeline."""

    class Action(models.TextChoices):
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"

    id = models.BigAutoField(primary_key=True)
    emergency = models.ForeignKey(Emergency, on_delete=models.CASCADE, related_name="responses")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_role = models.CharField(max_length=10, help_text="parent, sitter or staff, as they answered.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["emergency", "action", "actor"], name="emergencies_response_once_per_person"
            ),
            models.UniqueConstraint(
                fields=["emergency"], condition=Q(action="resolved"), name="emergencies_resolved_once"
            ),
            models.CheckConstraint(
                condition=Q(action__in=["acknowledged", "resolved"]), name="emergencies_response_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id}"
