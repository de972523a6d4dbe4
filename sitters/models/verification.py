"""Identity and background checks of a sitter, each ``pending → verified | rejected``.

A check is run by a provider behind :mod:`sitters.verification` (a
staff-driven manual provider now; Checkr or Stripe Identity later) and
decided by staff or by the provider. The profile's ``verification_status`` is
derived from the latest check of each kind by the verification services.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__ = ["CheckKind", "CheckStatus", "VerificationCheck"]


class CheckKind(models.TextChoices):
    IDENTITY = "identity"
    BACKGROUND = "background"


class CheckStatus(models.TextChoices):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class VerificationCheck(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sitter = models.ForeignKey("sitters.SitterProfile", on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(max_length=12, choices=CheckKind.choices)
    status = models.CharField(max_length=10, choices=CheckStatus.choices, default=CheckStatus.PENDING)
    reason = models.TextField(blank=True, default="", help_text="Why it was rejected; shown to the sitter.")
    provider = models.CharField(max_length=40, default="manual")
    provider_reference = models.CharField(max_length=255, blank=True, default="")
    # The ID document a sitter uploaded (files purpose id_document); background checks have none.
    document = models.ForeignKey("files.StoredFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=CheckKind.values), name="sitters_check_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=CheckStatus.values), name="sitters_check_status_valid"
            ),
            # At most one open check of a kind per sitter: a second submission while pending is a conflict.
            models.UniqueConstraint(
                fields=["sitter", "kind"],
                condition=models.Q(status=CheckStatus.PENDING),
                name="sitters_check_one_pending_per_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(status=CheckStatus.PENDING, decided_at__isnull=True)
                | (~models.Q(status=CheckStatus.PENDING) & models.Q(decided_at__isnull=False)),
                name="sitters_check_decided_at_matches_status",
            ),
        ]
        indexes = [
            # The staff queue: oldest pending first.
            models.Index(fields=["status", "submitted_at"], name="sitters_check_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} check of {self.sitter_id}: {self.status}"
