"""The demo sitters: eight verified, complete sitters around the demo families, made idempotently."""

from __future__ import annotations

import math

import pytest

from accounts import demo as accounts_demo
from accounts.demo import DEMO_FAMILIES, DEMO_PASSWORD
from accounts.models import Role, User
from sitters import demo
from sitters.models import AvailabilitySpan, Certification, SitterProfile, VerificationStatus, WeeklyWindow

pytestmark = pytest.mark.django_db


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_seed_makes_eight_verified_searchable_sitters_once() -> None:
    accounts_demo.seed()  # the accounts seeder runs first in seed_demo; the three sitters it makes are reused

    rows = demo.seed()

    emails = [email for email, *_ in demo.DEMO_SITTERS]
    profiles = SitterProfile.objects.filter(user__email__in=emails).select_related("user")
    assert profiles.count() == 8
    families = [(float(lat), float(lon)) for (_, lat, lon, _), *_ in DEMO_FAMILIES.values()]
    for profile in profiles:
        assert profile.user.role == Role.SITTER
        assert profile.user.check_password(DEMO_PASSWORD)
        assert profile.verification_status == VerificationStatus.VERIFIED
        assert profile.hourly_rate and profile.languages and profile.age_groups_mask
        assert profile.latitude is not None and profile.longitude is not None
        assert profile.timezone == "Europe/Berlin"
        assert min(km_between(profile.latitude, profile.longitude, *family) for family in families) < 3
        assert Certification.objects.filter(sitter=profile).exists()
        assert WeeklyWindow.objects.filter(sitter=profile).exists()
        assert AvailabilitySpan.objects.filter(sitter=profile).exists()  # the calendar service materialised them
    # only the logins accounts does not list already
    assert [email for _, email, _, _ in rows] == [
        e for e in emails if e not in {u[0] for u in accounts_demo.DEMO_USERS}
    ]
    assert all(password == DEMO_PASSWORD for _, _, password, _ in rows)

    counts = (User.objects.count(), Certification.objects.count(), WeeklyWindow.objects.count())
    assert demo.seed() == rows
    assert (User.objects.count(), Certification.objects.count(), WeeklyWindow.objects.count()) == counts


def test_seed_keeps_what_a_demo_sitter_changed() -> None:
    demo.seed()
    profile = SitterProfile.objects.get(user__email="sitter.hana@guardiannest.demo")
    SitterProfile.objects.filter(pk=profile.pk).update(hourly_rate=9900)

    demo.seed()

    assert SitterProfile.objects.get(pk=profile.pk).hourly_rate == 9900


def test_every_demo_certification_has_an_approved_document_so_badges_show() -> None:
    from django.utils import timezone

    from files.models import StoredFile
    from sitters.selectors.profile import certification_badge
    from sitters.selectors.public import public_profile_base

    accounts_demo.seed()
    demo.seed()
    documents = StoredFile.objects.count()

    demo.seed()

    assert StoredFile.objects.count() == documents
    certifications = Certification.objects.select_related("document")
    assert certifications.exists()
    for certification in certifications:
        document = certification.document
        assert document is not None and document.content_type == "application/pdf"
        assert (document.status, document.review) == ("ready", "approved")
        assert document.scan in ("clean", "not_scanned")  # clean where a scanner runs, never claimed otherwise
        assert certification_badge(certification, today=timezone.localdate()) == (
            certification.expires_at is None or certification.expires_at >= timezone.localdate()
        )
    julia = SitterProfile.objects.get(user__email="sitter.julia@guardiannest.demo")
    assert len(public_profile_base(sitter_id=julia.pk)["body"]["certifications"]) == 3
