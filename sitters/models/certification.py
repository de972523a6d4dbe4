"""Certifications a sitter holds (CPR, first aid …), each backed by a document from the files app.

A certification shows its badge while it is unexpired and its document has
been approved by staff (files review). Expiry needs no job: every read
compares ``expires_at`` with today. A beat job reminds the sitter 30 days
before; ``reminder_sent_for`` records which expiry date was reminded, so a
renewed certification is reminded again.
"""

from __future__ import annotations

import uuid

from django.db import models

__all__ = ["Certification", "CertificationKind"]


class CertificationKind(models.TextChoices):
    CPR = "cpr"
    FIRST_AID = "first_aid"
    EARLY_YEARS = "early_years"
    DRIVING = "driving"
    OTHER = "other"


class Certification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sitter = models.ForeignKey("sitters.SitterProfile", on_delete=models.CASCADE, related_name="certifications")
    kind = models.CharField(max_length=12, choices=CertificationKind.choices)
    issued_at = models.DateField()
    expires_at = models.DateField(null=True, blank=True, help_text="Empty: does not expire.")
    document = models.ForeignKey("files.StoredFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reminder_sent_for = models.DateField(null=True, blank=True, help_text="The expiry date last reminded.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=models.F("issued_at")),
                name="sitters_certification_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=CertificationKind.values), name="sitters_certification_kind_valid"
            ),
            # One of each named kind; "other" may repeat.
            models.UniqueConstraint(
                fields=["sitter", "kind"],
                condition=~models.Q(kind=CertificationKind.OTHER),
                name="sitters_certification_one_per_kind",
            ),
            # One document backs one certification: an approved certificate cannot lend its badge to others.
            models.UniqueConstraint(fields=["document"], name="sitters_certification_one_document"),
        ]
        indexes = [
            # Search: "has an unexpired <kind>"; reminders: "expires within 30 days".
            models.Index(fields=["sitter", "kind", "expires_at"], name="sitters_cert_sitter_kind"),
            models.Index(fields=["expires_at"], name="sitters_cert_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.sitter_id}"
