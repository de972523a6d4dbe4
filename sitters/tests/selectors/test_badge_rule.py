"""The badge rule read two ways agrees over every combination of states (PostgreSQL).

The sitter's own certifications judge it in Python (``certification_status``),
search in SQL (``badge_sql``: the page's badges and the certification filter).
Both are written beside each other in ``sitters.selectors.profile``; here they
meet every document state (none, and each file status with each review) and
every expiry (none, yesterday, today, within the reminder window, beyond it).
"""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from files.models import StoredFile
from sitters.models import Certification, SitterProfile
from sitters.selectors.profile import CertificationStatus, certification_badge, certification_status
from sitters.selectors.search import Filters, SearchQuery, sitter_profile_statement, sitter_search_statement
from sitters.tests.factories import SitterProfileFactory, StoredFileFactory

pytestmark = pytest.mark.django_db

DOCUMENTS: list[tuple[str, str] | None] = [
    None,
    *itertools.product(StoredFile.Status.values, StoredFile.Review.values),
]


def _expiries(today: date) -> dict[str, date | None]:
    return {
        "none": None,
        "yesterday": today - timedelta(days=1),
        "today": today,
        "expiring": today + timedelta(days=1),
        "far": today + timedelta(days=settings.CERTIFICATION_REMINDER_DAYS + 30),
    }


def _certified_sitters(today: date) -> dict[str, Certification]:
    """One sitter per combination, each with one CPR certification in that state; keyed by sitter id."""
    made: dict[str, Certification] = {}
    for document_state, expires_at in itertools.product(DOCUMENTS, _expiries(today).values()):
        profile: SitterProfile = SitterProfileFactory()
        document = None
        if document_state is not None:
            status, review = document_state
            document = StoredFileFactory(owner=profile.user, status=status, review=review)
        made[str(profile.pk)] = Certification.objects.create(
            sitter=profile, kind="cpr", issued_at=today - timedelta(days=400), expires_at=expires_at, document=document
        )
    return made


def _rows(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _found_by_filter(today: date) -> set[str]:
    filters = Filters(latitude=52.52, longitude=13.405, radius_km=10, certifications=("cpr",))
    found: set[str] = set()
    for page in itertools.count(1):
        rows = _rows(*sitter_search_statement(query=SearchQuery(filters=filters, page=page, page_size=50), today=today))
        found |= {str(row[0]) for row in rows[:50]}
        if len(rows) <= 50:
            return found
    raise AssertionError("unreachable")


def _shown_on_profile(sitter_id: str, today: date) -> bool:
    [row] = _rows(*sitter_profile_statement(sitter_id=UUID(sitter_id), today=today))
    badges = row[-1]
    return bool(json.loads(badges) if isinstance(badges, str) else badges)


def test_python_and_sql_give_the_same_badge_for_every_state() -> None:
    today = timezone.localdate()
    certifications = _certified_sitters(today)

    python = {sitter: certification_badge(c, today=today) for sitter, c in certifications.items()}
    in_filter = _found_by_filter(today)
    on_profile = {sitter: _shown_on_profile(sitter, today) for sitter in certifications}

    disagreements = [
        (certification_status(c, today=today), c.expires_at, c.document and (c.document.status, c.document.review))
        for sitter, c in certifications.items()
        if not python[sitter] == (sitter in in_filter) == on_profile[sitter]
    ]
    assert disagreements == []
    # Every outcome is met, so the agreement is not vacuous.
    assert {certification_status(c, today=today) for c in certifications.values()} == set(CertificationStatus)
    assert 0 < sum(python.values()) < len(python)
