"""The sitter's own profile: ``GET/PATCH sitters/me`` (API.md, Sitters). Sitters only; anyone else 403.

The answer carries the contract's fields plus ``photo_id``/``photo_url``,
``rating_avg``/``rating_count`` and ``complete`` (has a rate and a location,
so search can show the sitter). ``verification_status`` and the rating are
read-only: sending them changes nothing. Bad input answers 400 naming the
field; a changed time zone moves the sitter's calendar with it.
"""

from __future__ import annotations

from typing import Any, cast

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.family import CoordinateField
from accounts.models import User
from files.services.links import file_link
from guardiannest.api.serializers import CleanTextField, StrictSerializer
from guardiannest.errors import ApplicationError
from guardiannest.money import money
from sitters.api.common import IsSitter, MoneySerializer
from sitters.models import AgeGroup, SitterProfile, VerificationStatus
from sitters.models.profile import MAX_BIO_LENGTH, MAX_SERVICE_RADIUS_KM, MAX_YEARS_EXPERIENCE
from sitters.services.calendar.availability import timezone_is_valid
from sitters.services.profile import MAX_LANGUAGES, normalise_languages, sitter_profile_for
from sitters.services.profile import sitter_profile_update as profile_update

TAGS = ["sitters"]


def _sitter(request: Request) -> User:
    return cast(User, request.user)


class SitterApi(APIView):
    permission_classes = [IsAuthenticated, IsSitter]


@extend_schema_serializer(component_name="SitterOwnProfile")
class SitterProfileSerializer(StrictSerializer):
    """The sitter's own profile; the exact location is shown to its owner only.

    The search point (the location moved by up to 500 m, what others' searches see) is not shown, not even
    here: the owner has no use for it, and a body that never carries it cannot leak it.
    """

    id = serializers.UUIDField(read_only=True)
    bio = CleanTextField(max_length=MAX_BIO_LENGTH, required=False, allow_blank=True)
    hourly_rate = MoneySerializer(required=False, allow_null=True)
    years_experience = serializers.IntegerField(min_value=0, max_value=MAX_YEARS_EXPERIENCE, required=False)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=8),
        max_length=MAX_LANGUAGES * 2,
        required=False,
        help_text=f"ISO 639-1 codes, lower-cased and de-duplicated; at most {MAX_LANGUAGES}.",
    )
    age_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=AgeGroup.choices), max_length=len(AgeGroup), required=False
    )
    latitude = CoordinateField(limit=90, help_text="Send with longitude; both or neither.")
    longitude = CoordinateField(limit=180, help_text="Send with latitude; both or neither.")
    service_radius_km = serializers.IntegerField(min_value=1, max_value=MAX_SERVICE_RADIUS_KM, required=False)
    timezone = serializers.CharField(max_length=64, required=False, help_text="IANA name, such as Europe/Berlin.")
    verification_status = serializers.ChoiceField(choices=VerificationStatus.choices, read_only=True)
    photo_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="One of your ready uploads with purpose avatar; null removes it."
    )
    photo_url = serializers.URLField(read_only=True, allow_null=True)
    rating_avg = serializers.FloatField(read_only=True, allow_null=True)
    rating_count = serializers.IntegerField(read_only=True)
    complete = serializers.BooleanField(read_only=True, help_text="Has a rate and a location: search may show it.")

    def validate_languages(self, value: list[str]) -> list[str]:
        return normalise_languages_field(value)

    def validate_age_groups(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def validate_timezone(self, value: str) -> str:
        if not timezone_is_valid(value):
            raise serializers.ValidationError("Not an IANA time zone name (such as Europe/Berlin).")
        return value


def normalise_languages_field(value: list[str]) -> list[str]:
    """The service's normalisation, as a field error (so every bad field is named in one answer)."""
    try:
        return normalise_languages(value)
    except ApplicationError as exc:
        raise serializers.ValidationError((exc.errors or {}).get("languages", [exc.detail])) from exc


def profile_data(profile: SitterProfile, request: Request) -> dict[str, Any]:
    photo = profile.photo
    return {
        "id": profile.pk,
        "bio": profile.bio,
        "hourly_rate": money(profile.hourly_rate, profile.currency),
        "years_experience": profile.years_experience,
        "languages": list(profile.languages),
        "age_groups": profile.age_groups,
        "latitude": profile.latitude,
        "longitude": profile.longitude,
        "service_radius_km": profile.service_radius_km,
        "timezone": profile.timezone,
        "verification_status": profile.verification_status,
        "photo_id": photo.pk if photo is not None else None,
        "photo_url": file_link(file=photo, variant="display", request=request) if photo is not None else None,
        "rating_avg": float(profile.rating_avg) if profile.rating_avg is not None else None,
        "rating_count": profile.rating_count,
        "complete": profile.is_complete,
    }


class SitterProfileMeApi(SitterApi):
    """The caller's sitter profile, made empty (unverified, no rate, no location) on first access."""

    @extend_schema(responses={200: SitterProfileSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        profile = sitter_profile_for(user=_sitter(request))
        return Response(SitterProfileSerializer(profile_data(profile, request)).data)

    @extend_schema(request=SitterProfileSerializer, responses={200: SitterProfileSerializer}, tags=TAGS)
    def patch(self, request: Request) -> Response:
        sitter = _sitter(request)
        profile = sitter_profile_for(user=sitter)
        data = SitterProfileSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "hourly_rate" in fields:
            rate = fields["hourly_rate"]
            fields["hourly_rate"] = None if rate is None else rate["amount"]
        profile = profile_update(profile=profile, actor=sitter, **fields)
        return Response(SitterProfileSerializer(profile_data(profile, request)).data)


urlpatterns = [
    path("sitters/me", SitterProfileMeApi.as_view(), name="profile-me"),
]
