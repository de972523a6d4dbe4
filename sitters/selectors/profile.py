"""Read queries of a sitter's own profile and certifications, and what a certification shows.

A sitter sees only their own certifications; another sitter's id is "not
found", never "forbidden". A certification's status is computed on every
read against today's date, so expiry needs no job:

- ``expired``: ``expires_at`` has passed (a certification is valid through its expiry day, as search reads it);
- ``unconfirmed``: not expired, but staff have not approved its document
  (none attached yet, pending review, or rejected); search's badge filter reads the same rule;
- ``expiring``: approved and expiring within ``CERTIFICATION_REMINDER_DAYS``;
- ``valid``: approved and further from expiry (or not expiring).

The badge shows while the certification is unexpired and its document
approved (``valid`` or ``expiring``).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from files.models import StoredFile
from guardiannest.errors import not_found
from sitters.models import Certification, SitterProfile


class CertificationStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    UNCONFIRMED = "unconfirmed"

    @property
    def badge(self) -> bool:
        """The one badge rule: unexpired and its document approved (``valid`` or ``expiring``)."""
        return self in (CertificationStatus.VALID, CertificationStatus.EXPIRING)


def certification_status(certification: Certification, *, today: date | None = None) -> CertificationStatus:
    today = today or timezone.localdate()
    expires = certification.expires_at
    if expires is not None and expires < today:
        return CertificationStatus.EXPIRED
    document = certification.document
    if document is None or document.review != StoredFile.Review.APPROVED:
        return CertificationStatus.UNCONFIRMED
    if expires is not None and expires <= today + timedelta(days=settings.CERTIFICATION_REMINDER_DAYS):
        return CertificationStatus.EXPIRING
    return CertificationStatus.VALID


def certification_badge(certification: Certification, *, today: date | None = None) -> bool:
    return certification_status(certification, today=today).badge


def certification_list_for_sitter(*, sitter: SitterProfile) -> QuerySet[Certification]:
    return Certification.objects.filter(sitter=sitter).select_related("document").order_by("created_at")


def certification_get_for_sitter(*, certification_id: UUID, sitter: SitterProfile) -> Certification:
    """The sitter's own certification; anyone else's is simply not found."""
    certification = Certification.objects.select_related("document").filter(pk=certification_id, sitter=sitter).first()
    if certification is None:
        raise not_found()
    return certification
