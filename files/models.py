"""One table: every file a user uploaded, its scan verdict, its variants and its review by staff."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models


class Purpose(models.TextChoices):
    """Why a file was uploaded; decides its allowed types, size limit, privacy and who may see it."""

    AVATAR = "avatar", "Avatar"
    ID_DOCUMENT = "id_document", "ID document"
    CERTIFICATION = "certification", "Certification"
    MESSAGE_ATTACHMENT = "message_attachment", "Message attachment"


class FileStatus(models.TextChoices):
    """Where a file is in its life (module level so the API schema can name it: ``FileStatusEnum``)."""

    PENDING = "pending"
    READY = "ready"
    REJECTED = "rejected"


class StoredFile(models.Model):
    """An upload and everything made from it.

    Life: ``pending`` (stored, waiting for the virus scan and the image
    processing in Celery) → ``ready`` (may be served if the scan allows it) or
    ``rejected`` (infected, quarantined and never served; or unprocessable).
    ``scan`` is ``not_scanned`` when no scanner is configured: never ``clean``.

    Objects live in the default storage under keys built by ``files.storage``
    from owner, purpose and id, never from the uploaded name. ``variants`` maps
    a variant name (``display``, ``small``, ``medium``, ``*_webp``) to its key,
    content type, size and dimensions. When the owner's account is erased the
    row is detached (``owner`` null) and a job deletes it with its objects.
    """

    Status = FileStatus

    class Scan(models.TextChoices):
        PENDING = "pending"
        CLEAN = "clean"
        INFECTED = "infected"
        NOT_SCANNED = "not_scanned"

    class Review(models.TextChoices):
        NOT_REQUIRED = "not_required"
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    class Rejection(models.TextChoices):
        NONE = "", "-"
        INFECTED = "infected"
        UNPROCESSABLE = "unprocessable"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="files"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    scan = models.CharField(max_length=12, choices=Scan.choices, default=Scan.PENDING)
    scan_signature = models.CharField(max_length=200, blank=True, help_text="The scanner's name for what it found.")
    scanned_at = models.DateTimeField(null=True, blank=True)
    rejection = models.CharField(max_length=20, choices=Rejection.choices, blank=True, default="")
    content_type = models.CharField(max_length=50, help_text="Decided from the bytes, never from the client.")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    key = models.CharField(max_length=512, help_text="The original's object key; private, or in quarantine.")
    variants: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)
    review = models.CharField(max_length=12, choices=Review.choices, default=Review.NOT_REQUIRED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, help_text="Why the last processing attempt failed.")
    detached_at = models.DateTimeField(null=True, blank=True, help_text="The owner was erased; purge pending.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "purpose"], name="files_owner_purpose"),
            models.Index(fields=["status", "created_at"], name="files_status_created"),
            models.Index(fields=["purpose", "review"], name="files_purpose_review"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=[p.value for p in Purpose]), name="files_purpose_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "ready", "rejected"]), name="files_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(scan__in=["pending", "clean", "infected", "not_scanned"]), name="files_scan_valid"
            ),
            # Ready means a scan said clean or no scanner exists; infected is always rejected.
            models.CheckConstraint(
                condition=~models.Q(status="ready") | models.Q(scan__in=["clean", "not_scanned"]),
                name="files_ready_scanned",
            ),
            models.CheckConstraint(
                condition=~models.Q(scan="infected") | models.Q(status="rejected"), name="files_infected_rejected"
            ),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="files_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.pk} ({self.status})"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def object_keys(self) -> list[str]:
        """Every object this row owns: the original and each variant."""
        keys = [self.key] if self.key else []
        keys += [str(variant["key"]) for variant in self.variants.values() if variant.get("key")]
        return keys
