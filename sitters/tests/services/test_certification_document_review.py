"""Staff's review of a certification's document: the badge, and the caches forgotten once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from accounts.models import User
from files.models import StoredFile
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError, Refusal
from sitters.services.certifications import certification_document_review
from sitters.tests.factories import CertificationFactory, SitterProfileFactory, StoredFileFactory

pytestmark = pytest.mark.django_db


def test_approving_a_document_shows_the_badge_and_forgets_the_cached_profile(
    sitter: User, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    """The StoredFile observer forgets the caches (the review service saves the file): nothing is done twice."""
    profile = SitterProfileFactory(user=sitter)
    document = StoredFileFactory(owner=sitter, purpose="certification")
    certification = CertificationFactory(sitter=profile, document=document)
    version_key = f"sitters:profile-version:{profile.pk}"
    cache.set(version_key, "before")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        certification_document_review(certification=certification, actor=staff, approved=True)
        assert cache.get(version_key) == "before"  # forgotten only after commit

    assert cache.get(version_key) not in (None, "before")
    assert len(callbacks) == 1  # one invalidation, the observer's
    document.refresh_from_db()
    assert (document.review, document.reviewed_by) == (StoredFile.Review.APPROVED, staff)
    assert AuditEvent.objects.filter(action="file.reviewed", target_id=str(document.pk)).count() == 1


def test_a_certification_without_a_document_has_nothing_to_review(sitter: User, staff: User) -> None:
    certification = CertificationFactory(sitter=SitterProfileFactory(user=sitter), document=None)
    with pytest.raises(ApplicationError) as raised:
        certification_document_review(certification=certification, actor=staff, approved=True)
    assert (raised.value.refusal, raised.value.code) == (Refusal.CONFLICT, "document_invalid")
    assert not AuditEvent.objects.filter(action="file.reviewed").exists()
