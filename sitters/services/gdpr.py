"""GDPR for the sitters app: what it holds about a user, and erasing it on account deletion.

Registered by the lead in ``SittersConfig.ready`` as ``gdpr_exporters`` /
``gdpr_erasers`` entry ``"sitters"``. Both run for every user: a parent has
no profile but may have written reviews.

Erase keeps what other people's records need: the profile row (bookings,
holds and reviews point at it), holds (they belong to bookings), and the
reviews the sitter received (the families' words, their rating history).
Everything personal on the profile is cleared and the sitter leaves search
(no location, unverified); the calendar and certifications go. Reviews the
user wrote stay, without an author.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import User
from guardiannest.audit.services import audit_record
from sitters.cache import sitter_changed_on_commit
from sitters.models import (
    AvailabilityException,
    AvailabilitySpan,
    Certification,
    Review,
    SitterClient,
    SitterLanguage,
    SitterProfile,
    VerificationCheck,
    VerificationStatus,
    WeeklyWindow,
)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _profile_export(profile: SitterProfile) -> dict[str, Any]:
    """The profile as the sitter gave it; the search point is derived from their location and not repeated."""
    return {
        "bio": profile.bio,
        "hourly_rate": profile.hourly_rate,
        "currency": profile.currency,
        "years_experience": profile.years_experience,
        "languages": list(profile.languages),
        "age_groups": profile.age_groups,
        "latitude": profile.latitude,
        "longitude": profile.longitude,
        "service_radius_km": profile.service_radius_km,
        "timezone": profile.timezone,
        "photo_id": None if profile.photo_id is None else str(profile.photo_id),
        "verification_status": profile.verification_status,
        "verified_at": _iso(profile.verified_at),
        "rating_avg": None if profile.rating_avg is None else str(profile.rating_avg),
        "rating_count": profile.rating_count,
        "created_at": _iso(profile.created_at),
    }


def _review_export(review: Review) -> dict[str, Any]:
    return {
        "id": str(review.pk),
        "sitter_id": str(review.sitter_id),
        "booking_id": None if review.booking_id is None else str(review.booking_id),
        "rating": review.rating,
        "comment": review.comment,
        "hidden": review.hidden,
        "created_at": _iso(review.created_at),
    }


def sitter_export(user: User) -> dict[str, Any]:
    """The sitter profile, certifications, calendar, reviews received and families served; reviews written."""
    authored = [_review_export(review) for review in Review.objects.filter(author=user).order_by("created_at")]
    profile = SitterProfile.objects.filter(user=user).first()
    if profile is None:
        return {"profile": None, "reviews_written": authored}
    return {
        "profile": _profile_export(profile),
        "certifications": [
            {
                "id": str(item.pk),
                "kind": item.kind,
                "issued_at": _iso(item.issued_at),
                "expires_at": _iso(item.expires_at),
                "document_id": None if item.document_id is None else str(item.document_id),
            }
            for item in Certification.objects.filter(sitter=profile).order_by("created_at")
        ],
        "availability": {
            "timezone": profile.timezone,
            "windows": [
                {"weekday": window.weekday, "start_minute": window.start_minute, "end_minute": window.end_minute}
                for window in WeeklyWindow.objects.filter(sitter=profile).order_by("weekday", "start_minute")
            ],
            "exceptions": [
                {
                    "date": _iso(item.date),
                    "available": item.available,
                    "start_minute": item.start_minute,
                    "end_minute": item.end_minute,
                }
                for item in AvailabilityException.objects.filter(sitter=profile).order_by("date", "start_minute")
            ],
        },
        "verification_checks": [
            {
                "id": str(check.pk),
                "kind": check.kind,
                "status": check.status,
                "reason": check.reason,
                "provider": check.provider,
                "submitted_at": _iso(check.submitted_at),
                "decided_at": _iso(check.decided_at),
            }
            for check in VerificationCheck.objects.filter(sitter=profile).order_by("submitted_at")
        ],
        "reviews_received": [
            _review_export(review) for review in Review.objects.filter(sitter=profile).order_by("created_at")
        ],
        # Counts and dates only: the families themselves are other people's data.
        "families": [
            {
                "bookings_count": client.bookings_count,
                "first_booked_at": _iso(client.first_booked_at),
                "last_booked_at": _iso(client.last_booked_at),
            }
            for client in SitterClient.objects.filter(sitter=profile).order_by("first_booked_at")
        ],
        "reviews_written": authored,
    }


@transaction.atomic
def sitter_erase(user: User) -> None:
    """Anonymise the profile, delete calendar and certifications, detach the user from reviews they wrote."""
    authored = Review.objects.filter(author=user).update(author=None)
    profile = SitterProfile.objects.select_for_update().filter(user=user).first()
    counts: dict[str, int] = {"reviews_written": authored}
    if profile is not None:
        counts["certifications"] = Certification.objects.filter(sitter=profile).delete()[0]
        counts["windows"] = WeeklyWindow.objects.filter(sitter=profile).delete()[0]
        counts["exceptions"] = AvailabilityException.objects.filter(sitter=profile).delete()[0]
        counts["spans"] = AvailabilitySpan.objects.filter(sitter=profile).delete()[0]
        SitterLanguage.objects.filter(sitter=profile).delete()
        # The vetting record stays (who decided what, when), without the reasons or the ID document.
        counts["checks"] = VerificationCheck.objects.filter(sitter=profile).update(
            reason="", provider_reference="", document=None
        )
        profile.bio = ""
        profile.latitude = profile.longitude = None
        profile.search_latitude = profile.search_longitude = None
        profile.photo = None
        profile.languages = []
        profile.age_groups_mask = 0
        profile.hourly_rate = None
        profile.years_experience = 0
        profile.verification_status = VerificationStatus.UNVERIFIED
        profile.verified_at = None
        profile.availability_until = None
        profile.save()
        sitter_changed_on_commit(profile.pk)
    audit_record(action="sitter.erased", target=user, data=counts)
