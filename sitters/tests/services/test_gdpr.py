"""GDPR: what the sitters app exports about a user, and what erasing leaves behind."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder

from accounts.models import User
from guardiannest.audit.models import AuditEvent
from sitters.models import (
    AvailabilityException,
    AvailabilitySpan,
    Certification,
    Hold,
    Review,
    SitterClient,
    SitterLanguage,
    SitterProfile,
    VerificationStatus,
    WeeklyWindow,
)
from sitters.services.calendar.availability import availability_set
from sitters.services.clients import client_booking_recorded
from sitters.services.gdpr import sitter_erase, sitter_export
from sitters.services.reviews import review_submit
from sitters.tests.factories import CertificationFactory, SitterProfileFactory

pytestmark = pytest.mark.django_db
SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)


@pytest.fixture
def busy_sitter(sitter: User, parent: User) -> SitterProfile:
    """A sitter with everything: certifications, a calendar, a hold, a review and a family."""
    profile: SitterProfile = SitterProfileFactory(user=sitter, bio="Loves chess")
    CertificationFactory(sitter=profile)
    availability_set(profile=profile, timezone="Europe/Berlin", windows=[(0, 540, 1020), (3, 600, 900)], actor=sitter)
    AvailabilityException.objects.create(sitter=profile, date=date.today() + timedelta(days=9), available=False)
    Hold.objects.create(sitter=profile, starts_at=SOON, ends_at=SOON + timedelta(hours=3), reference=uuid.uuid4())
    review_submit(sitter_id=profile.pk, author=parent, rating=4, comment="Punctual", booking_id=uuid.uuid4())
    client_booking_recorded(sitter_id=profile.pk, parent_id=parent.pk, booked_at=SOON - timedelta(days=30))
    return profile


def test_export_holds_the_profile_and_everything_attached(busy_sitter: SitterProfile, sitter: User) -> None:
    exported = sitter_export(sitter)

    json.dumps(exported, cls=DjangoJSONEncoder)  # JSON-able, as the export document needs
    assert exported["profile"]["bio"] == "Loves chess"
    assert exported["profile"]["latitude"] == busy_sitter.latitude
    assert [c["kind"] for c in exported["certifications"]] == ["first_aid"]
    assert len(exported["availability"]["windows"]) == 2
    assert len(exported["availability"]["exceptions"]) == 1
    assert [r["comment"] for r in exported["reviews_received"]] == ["Punctual"]
    assert exported["families"] == [
        {
            "bookings_count": 1,
            "first_booked_at": (SOON - timedelta(days=30)).isoformat(),
            "last_booked_at": (SOON - timedelta(days=30)).isoformat(),
        }
    ]
    assert exported["reviews_written"] == []


def test_a_parents_export_has_the_reviews_they_wrote(busy_sitter: SitterProfile, parent: User) -> None:
    exported = sitter_export(parent)

    assert exported["profile"] is None
    assert [(r["sitter_id"], r["rating"]) for r in exported["reviews_written"]] == [(str(busy_sitter.pk), 4)]


def test_erase_anonymises_the_sitter_and_keeps_what_others_need(
    busy_sitter: SitterProfile, sitter: User, django_capture_on_commit_callbacks: Any
) -> None:
    assert busy_sitter.search_latitude is not None  # so clearing it below is a change
    with django_capture_on_commit_callbacks(execute=True):
        sitter_erase(sitter)

    profile = SitterProfile.objects.get(pk=sitter.pk)
    assert profile.bio == ""
    assert profile.latitude is None and profile.longitude is None
    assert profile.search_latitude is None and profile.search_longitude is None
    assert profile.languages == [] and not SitterLanguage.objects.filter(sitter=profile).exists()
    assert profile.verification_status == VerificationStatus.UNVERIFIED
    assert profile.hourly_rate is None and profile.photo_id is None
    for model in (Certification, WeeklyWindow, AvailabilityException, AvailabilitySpan):
        assert not model.objects.filter(sitter=profile).exists(), model
    # kept: holds belong to bookings; reviews received are the families' words; the families ledger
    assert Hold.objects.filter(sitter=profile).count() == 1
    assert Review.objects.filter(sitter=profile).count() == 1
    assert SitterClient.objects.filter(sitter=profile).count() == 1
    assert cache.get(f"sitters:profile-version:{sitter.pk}") is not None
    event = AuditEvent.objects.get(action="sitter.erased")
    assert event.data["certifications"] == 1 and event.data["windows"] == 2
    assert "chess" not in str(event.data)


def test_erasing_an_author_keeps_the_review_without_them(busy_sitter: SitterProfile, parent: User) -> None:
    sitter_erase(parent)

    review = Review.objects.get(sitter=busy_sitter)
    assert review.author_id is None
    assert review.rating == 4
    busy_sitter.refresh_from_db()
    assert busy_sitter.rating_count == 1  # the sitter's rating does not change
    assert busy_sitter.bio == "Loves chess"


def test_erase_is_harmless_for_someone_without_sitter_data(other_parent: User) -> None:
    sitter_erase(other_parent)
    sitter_erase(other_parent)

    assert AuditEvent.objects.filter(action="sitter.erased", target_id=str(other_parent.pk)).count() == 2
    assert not SitterProfile.objects.filter(pk=other_parent.pk).exists()
