"""Tables of the gdpr subdomain: the user's requests for a copy of their data."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__: list[str] = ["DataExport"]


class DataExport(models.Model):
    """One request for a copy of everything we hold about a user, and the file that answers it.

    A Celery task builds the JSON file (``pending`` → ``ready`` or ``failed``);
    the file is private to its owner, downloadable through a short-lived signed
    link, and deleted when it expires (``expired``) or when the account is
    erased. At most one export per user is pending at a time (a partial unique
    index), so two racing requests cannot start two builds.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        READY = "ready"
        FAILED = "failed"
        EXPIRED = "expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file_name = models.CharField(max_length=255, blank=True, help_text="Path in the default storage; private.")
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="The file is deleted after this.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"], name="accounts_export_status_expiry")]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status="pending"), name="accounts_export_one_pending_per_user"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "ready", "failed", "expired"]),
                name="accounts_export_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready") | (~models.Q(file_name="") & models.Q(expires_at__isnull=False)),
                name="accounts_export_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"
