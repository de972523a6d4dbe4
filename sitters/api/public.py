"""A sitter's public profile and reviews (API.md, Sitters): for anyone signed in.

``GET sitters/{id}`` answers ``{id, first_name, bio, hourly_rate, rating_avg,
rating_count, verified, languages, age_groups, certifications, photo_url}``
plus ``years_experience``, and ``distance_km`` (rounded to 100 m) when the
caller is a parent whose family profile has coordinates. Never the sitter's
location or service radius. Certifications are the badge-worthy ones only:
unexpired, document approved by staff. It carries a strong ``ETag`` and
``Cache-Control: private, no-cache``: send ``If-None-Match`` to get a 304
with no body when nothing changed.

``GET sitters/{id}/reviews`` lists the visible reviews, newest first,
cursor-paginated.

An unknown id, a parent's id, an inactive account or an incomplete profile
(no rate or no location) answers 404 on both.
"""

from __future__ import annotations

from uuid import UUID

from django.urls import path
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guardiannest.api.pagination import CursorPagination
from sitters.api.common import MoneySerializer
from sitters.models import AgeGroup, CertificationKind
from sitters.selectors.public import public_profile_get
from sitters.selectors.reviews import review_list_for_sitter

TAGS = ["sitters"]
CACHE_CONTROL = "private, no-cache"


@extend_schema_serializer(component_name="SitterBadge")
class BadgeSerializer(serializers.Serializer):
    """A certification that shows its badge: unexpired, and its document approved by staff."""

    kind = serializers.ChoiceField(choices=CertificationKind.choices)
    issued_at = serializers.DateField()
    expires_at = serializers.DateField(allow_null=True)


class PublicProfileFields(serializers.Serializer):
    """The fields of a public profile (documentation only: bodies are built as plain dicts)."""

    id = serializers.UUIDField()
    first_name = serializers.CharField()
    bio = serializers.CharField(allow_blank=True)
    hourly_rate = MoneySerializer()
    rating_avg = serializers.FloatField(allow_null=True, help_text="1-5, two decimals; null before any review.")
    rating_count = serializers.IntegerField()
    verified = serializers.BooleanField(help_text="Identity and background checks passed.")
    languages = serializers.ListField(child=serializers.CharField(), help_text="ISO 639-1 codes.")
    age_groups = serializers.ListField(child=serializers.ChoiceField(choices=AgeGroup.choices))
    years_experience = serializers.IntegerField()
    certifications = BadgeSerializer(many=True)
    photo_url = serializers.CharField(
        allow_null=True, help_text="The avatar (640 px): a CDN address, or a signed link valid for minutes."
    )


@extend_schema_serializer(component_name="SitterReliability")
class ReliabilitySerializer(serializers.Serializer):
    """The sitter's last 90 days: cancellations of accepted bookings and no-shows count against them."""

    score = serializers.IntegerField(
        allow_null=True,
        help_text="0-100: completed / (completed + cancellations + 2 x no-shows), last 90 days; null if none.",
    )
    cancellations_90d = serializers.IntegerField()
    no_shows_90d = serializers.IntegerField()
    completed_90d = serializers.IntegerField()
    completed = serializers.IntegerField(help_text="Bookings completed, ever.")


@extend_schema_serializer(component_name="SitterPublicProfile")
class PublicProfileSerializer(PublicProfileFields):
    reliability = ReliabilitySerializer()
    distance_km = serializers.FloatField(
        required=False,
        help_text="Only for a parent whose family profile has coordinates: km to the sitter, rounded to 0.1.",
    )


def _etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2): ``W/`` prefixes do not matter."""
    candidates = parse_etags(header or "")
    return "*" in candidates or any(candidate.removeprefix("W/") == etag for candidate in candidates)


class SitterPublicProfileApi(APIView):
    @extend_schema(
        operation_id="sitters_public_profile",
        parameters=[
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="The ETag of a copy you hold: 304 with no body if it is still current.",
            )
        ],
        responses={
            200: PublicProfileSerializer,
            304: OpenApiResponse(description="Not modified: your copy (If-None-Match) is current."),
        },
        tags=TAGS,
    )
    def get(self, request: Request, sitter_id: UUID) -> Response:
        profile = public_profile_get(sitter_id=sitter_id, viewer=request.user, request=request)
        headers = {"ETag": profile.etag, "Cache-Control": CACHE_CONTROL}
        if _etag_matches(request.headers.get("If-None-Match"), profile.etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(profile.body, headers=headers)


@extend_schema_serializer(component_name="SitterReview")
class ReviewSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True)
    reply = serializers.CharField(allow_blank=True, help_text="The sitter's one answer; empty until they reply.")
    replied_at = serializers.DateTimeField(allow_null=True)
    author_first_name = serializers.CharField(allow_null=True, help_text="Null once the author's account is erased.")
    created_at = serializers.DateTimeField()


class SitterReviewListApi(APIView):
    class Pagination(CursorPagination):
        ordering = "-created_at"

    pagination_class = Pagination  # also tells the schema the list is paginated

    @extend_schema(operation_id="sitters_public_reviews", responses={200: ReviewSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request, sitter_id: UUID) -> Response:
        reviews = review_list_for_sitter(sitter_id=sitter_id, request=request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(reviews, request, self)
        return paginator.get_paginated_response(ReviewSerializer(page, many=True).data)


urlpatterns = [
    path("sitters/<uuid:sitter_id>", SitterPublicProfileApi.as_view(), name="public-profile"),
    path("sitters/<uuid:sitter_id>/reviews", SitterReviewListApi.as_view(), name="public-reviews"),
]
