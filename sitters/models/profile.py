"""A sitter's profile: what parents see, what search filters on, and where the sitter works.

The primary key is the user id (API.md: a sitter's id is their user id), so a
profile, a chat participant and a booking's sitter are named by one UUID.
The exact service location never leaves the server (public answers carry a
rounded distance only) and is encrypted at rest.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models

from guardiannest.constraints import coordinate_constraints, coordinates_together_constraint
from guardiannest.fields import coordinate_field, encrypted_coordinate_field

__all__ = [
    "AGE_GROUPS",
    "AgeGroup",
    "SitterLanguage",
    "SitterProfile",
    "VerificationStatus",
    "age_groups_from_mask",
    "age_groups_to_mask",
]

MAX_SERVICE_RADIUS_KM = 100
MAX_YEARS_EXPERIENCE = 70
MAX_BIO_LENGTH = 2000
SEARCH_POINT_FUZZ_M = 500
# A rate above this is a typo (1,000.00 per hour), not a price.
MAX_HOURLY_RATE = 100_000


class AgeGroup(models.TextChoices):
    INFANT = "infant"
    TODDLER = "toddler"
    PRESCHOOL = "preschool"
    SCHOOL_AGE = "school_age"
    TEEN = "teen"


# Bit of each age group in ``SitterProfile.age_groups_mask``: search asks "covers all of these" with one AND.
AGE_GROUPS: dict[str, int] = {group: 1 << index for index, group in enumerate(AgeGroup.values)}


def age_groups_to_mask(groups: Iterable[str]) -> int:
    """The bitmask of known age groups (callers check the names first)."""
    mask = 0
    for group in groups:
        mask |= AGE_GROUPS[group]
    return mask


def age_groups_from_mask(mask: int) -> list[str]:
    return [group for group, bit in AGE_GROUPS.items() if mask & bit]


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified"
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class SitterProfile(models.Model):
    """One per sitter account, made on first access; complete once it has a rate and a location."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="sitter_profile"
    )
    bio = models.TextField(blank=True, default="", help_text="Cleaned of markup (nh3) on the way in.")
    # Money in minor units; the currency is the platform's (settings.PLATFORM_CURRENCY).
    hourly_rate = models.PositiveIntegerField(null=True, blank=True, help_text="Minor units per hour.")
    currency = models.CharField(max_length=3, default="eur")
    years_experience = models.PositiveSmallIntegerField(default=0)
    # ISO 639-1 codes in the order the sitter gave them; SitterLanguage rows index them for search.
    languages = models.JSONField(default=list, blank=True)
    age_groups_mask = models.PositiveSmallIntegerField(default=0)
    # Float degrees, six decimals on the way in (about 11 cm). Seen by the sitter only, encrypted at rest
    # (bound to the row); SQL never computes with them, search uses the search point below.
    latitude = encrypted_coordinate_field()
    longitude = encrypted_coordinate_field()
    # The point search and every distance shown to others use: the service location moved once by a
    # random offset of up to SEARCH_POINT_FUZZ_M, kept until the sitter moves. Exact distances to the
    # real point would let anyone triangulate a sitter's home from three searches.
    search_latitude = coordinate_field()
    search_longitude = coordinate_field()
    service_radius_km = models.PositiveSmallIntegerField(default=10)
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA name; availability is local to it.")
    photo = models.ForeignKey("files.StoredFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    verification_status = models.CharField(
        max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    # Kept by the review services in the same transaction as each review.
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    # The day through which AvailabilitySpan rows are written (the beat job moves it forward).
    availability_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            coordinates_together_constraint("sitters_profile"),
            *coordinate_constraints("sitters_profile_search", latitude="search_latitude", longitude="search_longitude"),
            # The search point exists exactly while the real one does.
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, search_latitude__isnull=True)
                | models.Q(latitude__isnull=False, search_latitude__isnull=False),
                name="sitters_profile_search_point_with_location",
            ),
            models.CheckConstraint(
                condition=models.Q(service_radius_km__gte=1, service_radius_km__lte=MAX_SERVICE_RADIUS_KM),
                name="sitters_profile_radius_range",
            ),
            models.CheckConstraint(
                condition=models.Q(years_experience__lte=MAX_YEARS_EXPERIENCE), name="sitters_profile_years_range"
            ),
            models.CheckConstraint(
                condition=models.Q(rating_avg__isnull=True) | models.Q(rating_avg__gte=1, rating_avg__lte=5),
                name="sitters_profile_rating_range",
            ),
            models.CheckConstraint(
                condition=models.Q(verification_status__in=VerificationStatus.values),
                name="sitters_profile_verification_valid",
            ),
        ]
        indexes = [
            # Portable geo prefilter (SQLite); PostgreSQL adds a GiST index on ll_to_earth (migration).
            models.Index(fields=["search_latitude", "search_longitude"], name="sitters_profile_search_point"),
            models.Index(fields=["verification_status"], name="sitters_profile_verification"),
            # The beat job that moves availability forward goes one time zone at a time.
            models.Index(fields=["timezone", "availability_until"], name="sitters_profile_tz_until"),
        ]

    def __str__(self) -> str:
        return f"Sitter {self.user_id}"

    @property
    def age_groups(self) -> list[str]:
        return age_groups_from_mask(self.age_groups_mask)

    @property
    def is_complete(self) -> bool:
        """A rate and a location: what search lists and bookings need (the search point goes with the location)."""
        return self.hourly_rate is not None and self.latitude is not None

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED


class SitterLanguage(models.Model):
    """Search index of ``SitterProfile.languages``: one row per (sitter, code), written by the profile service."""

    sitter = models.ForeignKey(SitterProfile, on_delete=models.CASCADE, related_name="language_rows")
    code = models.CharField(max_length=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sitter", "code"], name="sitters_language_unique")]

    def __str__(self) -> str:
        return self.code
