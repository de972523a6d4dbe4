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
approved (``valid`` or ``expiring``). That rule lives here once, as its two
conditions (:func:`unexpired`, :func:`confirmed`); search reads the same two
as SQL (:func:`badge_sql`, written beside them). ``sitters/tests/selectors/test_badge_rule.py`` runs
both over every combination of states.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from files.models import StoredFile
from guardiannest.errors import not_found
from sitters.models import Certification, SitterProfile
from sitters.selectors.schema import column, table

# The files review a certification's document needs before its badge shows.
BADGE_REVIEW = StoredFile.Review.APPROVED


class CertificationStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    UNCONFIRMED = "unconfirmed"

    @property
    def badge(self) -> bool:
        """Unexpired and confirmed (``valid`` or ``expiring``): the badge rule, see :func:`badge_sql` for search's."""
        return self in (CertificationStatus.VALID, CertificationStatus.EXPIRING)


# --- the badge rule: each condition in Python (one certification) and, beside it, in SQL (a row) -----------


def unexpired(expires_at: date | None, today: date) -> bool:
    """It does not expire, or is valid through its expiry day."""
    return expires_at is None or expires_at >= today


def confirmed(document: StoredFile | None) -> bool:
    """Its document is attached and staff approved it (none, pending review or rejected is unconfirmed)."""
    return document is not None and document.review == BADGE_REVIEW


@dataclass(frozen=True)
class BadgeSql:
    """The rule over certifications ``c``: ``source`` joins their documents ``d``, ``condition`` filters.

    ``condition`` reads the parameters ``%(today)s`` and ``%(badge_review)s`` (:func:`badge_params`).
    """

    source: str
    condition: str


@cache
def badge_sql() -> BadgeSql:
    """:func:`unexpired` and :func:`confirmed` as SQL; the inner join is "attached" (a removed document is NULL)."""
    expires, review = column(Certification, "expires_at"), column(StoredFile, "review")
    return BadgeSql(
        source=f"{table(Certification)} c JOIN {table(StoredFile)} d"
        f" ON d.{column(StoredFile, 'id')} = c.{column(Certification, 'document')}",
        condition=f"(c.{expires} IS NULL OR c.{expires} >= %(today)s) AND d.{review} = %(badge_review)s",
    )


def badge_params(today: Any) -> dict[str, Any]:
    """The values :func:`badge_sql` reads (``today`` as the backend compares dates)."""
    return {"today": today, "badge_review": BADGE_REVIEW}


def certification_status(certification: Certification, *, today: date | None = None) -> CertificationStatus:
    today = today or timezone.localdate()
    if not unexpired(certification.expires_at, today):
        return CertificationStatus.EXPIRED
    if not confirmed(certification.document):
        return CertificationStatus.UNCONFIRMED
    expires = certification.expires_at
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
