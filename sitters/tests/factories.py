"""Factories of the sitters app."""

from __future__ import annotations

import factory

from accounts.tests.factories import SitterFactory
from sitters.models import AGE_GROUPS, SitterLanguage, SitterProfile, VerificationStatus


class SitterProfileFactory(factory.django.DjangoModelFactory):
    """A complete, verified profile in Berlin (a searchable sitter) unless told otherwise."""

    class Meta:
        model = SitterProfile
        django_get_or_create = ("user",)
        skip_postgeneration_save = True

    user = factory.SubFactory(SitterFactory)
    bio = "Calm, patient, loves board games."
    hourly_rate = 2500
    currency = "eur"
    years_experience = 4
    languages = factory.LazyFunction(lambda: ["de", "en"])
    age_groups_mask = AGE_GROUPS["toddler"] | AGE_GROUPS["school_age"]
    latitude = 52.520008
    longitude = 13.404954
    # The search point is the real one here (the service jitters it): tests need exact geometry.
    search_latitude = factory.LazyAttribute(lambda profile: profile.latitude)
    search_longitude = factory.LazyAttribute(lambda profile: profile.longitude)
    service_radius_km = 15
    timezone = "Europe/Berlin"
    verification_status = VerificationStatus.VERIFIED

    @factory.post_generation
    def language_rows(obj: SitterProfile, create: bool, extracted: object, **kwargs: object) -> None:
        """Keep the search index of languages in step, as the profile service does."""
        if create:
            SitterLanguage.objects.filter(sitter=obj).delete()
            SitterLanguage.objects.bulk_create([SitterLanguage(sitter=obj, code=code) for code in obj.languages])


# --- added by the profile work: stored files and certifications ---------------------------------


class StoredFileFactory(factory.django.DjangoModelFactory):
    """A file row as the files app leaves it after processing (ready, not scanned); no bytes are stored.

    Enough for services that only check ownership, purpose, status and review;
    tests that download bytes upload through the files API instead.
    """

    class Meta:
        model = "files.StoredFile"

    owner = factory.SubFactory(SitterFactory)
    purpose = "certification"
    status = "ready"
    scan = "not_scanned"
    review = "pending"
    content_type = "application/pdf"
    size = 1024
    sha256 = "0" * 64
    key = factory.LazyAttribute(lambda f: f"files/private/{f.purpose}/{f.owner.pk}/factory/original.pdf")


class AvatarFileFactory(StoredFileFactory):
    """A processed avatar: public display/small/medium variants (no bytes stored)."""

    purpose = "avatar"
    review = "not_required"
    content_type = "image/jpeg"
    key = factory.LazyAttribute(lambda f: f"files/public/avatar/{f.owner.pk}/original.jpg")
    variants = factory.LazyAttribute(
        lambda f: {
            name: {"key": f"files/public/avatar/{f.owner.pk}/{name}.jpg", "content_type": "image/jpeg"}
            for name in ("display", "small", "medium")
        }
    )


def _days_from_today(days: int) -> object:
    from datetime import timedelta

    from django.utils import timezone

    return timezone.localdate() + timedelta(days=days)


class CertificationFactory(factory.django.DjangoModelFactory):
    """A first-aid certificate issued a year ago, valid another year, with an approved document of its sitter."""

    class Meta:
        model = "sitters.Certification"

    sitter = factory.SubFactory(SitterProfileFactory)
    kind = "first_aid"
    issued_at = factory.LazyFunction(lambda: _days_from_today(-365))
    expires_at = factory.LazyFunction(lambda: _days_from_today(365))
    document = factory.LazyAttribute(
        lambda c: StoredFileFactory(owner=c.sitter.user, purpose="certification", review="approved")
    )
