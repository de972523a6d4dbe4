"""How a booking ends up (API.md, Bookings): the review and its reply, a dispute, a no-show.

``POST bookings/{id}/review`` and ``…/review/reply`` create (201, the
review); ``…/dispute`` and ``…/no-show`` act (200, the booking as it is now).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from bookings import services
from bookings.api.moves import BookingActionApi
from bookings.api.views import TAGS, BookingSerializer, caller
from guardiannest.api.serializers import StrictSerializer
from sitters.models import Review


@extend_schema_serializer(component_name="BookingReviewInput")
class ReviewInputSerializer(StrictSerializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


@extend_schema_serializer(component_name="BookingReviewReplyInput")
class ReplyInputSerializer(StrictSerializer):
    comment = serializers.CharField(max_length=4000)


@extend_schema_serializer(component_name="BookingReview")
class ReviewSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    booking_id = serializers.UUIDField()
    sitter_id = serializers.UUIDField()
    rating = serializers.IntegerField()
    comment = serializers.CharField(allow_blank=True, help_text="Plain text: markup is removed.")
    reply = serializers.CharField(allow_blank=True, help_text="The sitter's one answer; empty until then.")
    replied_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


def review_data(review: Review) -> dict[str, Any]:
    return {
        "id": review.pk,
        "booking_id": review.booking_id,
        "sitter_id": review.sitter_id,
        "rating": review.rating,
        "comment": review.comment,
        "reply": review.reply,
        "replied_at": review.replied_at,
        "created_at": review.created_at,
    }


class BookingReviewApi(APIView):
    """The family rates the sitter once the booking is completed; shown under ``GET sitters/{id}/reviews``."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ReviewInputSerializer,
        responses={201: ReviewSerializer},
        tags=TAGS,
        description="Parent, after completion, once per booking. 409 `booking_not_completed` before check-out, "
        "409 `review_exists` the second time, 400 naming `rating` outside 1-5; a rating of 3 or less is "
        "flagged for staff.",
    )
    def post(self, request: Request, booking_id: UUID) -> Response:
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.booking_review_submit(
            booking_id=booking_id,
            actor=caller(request),
            rating=data.validated_data["rating"],
            comment=data.validated_data["comment"],
        )
        return Response(ReviewSerializer(review_data(review)).data, status=201)


class BookingReviewReplyApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ReplyInputSerializer,
        responses={201: ReviewSerializer},
        tags=TAGS,
        description="The booking's sitter answers its review, once (409 `review_reply_exists`); "
        "409 `booking_not_reviewed` before there is a review.",
    )
    def post(self, request: Request, booking_id: UUID) -> Response:
        data = ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.booking_review_reply(
            booking_id=booking_id, actor=caller(request), comment=data.validated_data["comment"]
        )
        return Response(ReviewSerializer(review_data(review)).data, status=201)


@extend_schema_serializer(component_name="BookingDisputeInput")
class DisputeInputSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=1000)


class BookingDisputeApi(BookingActionApi):
    input_serializer = DisputeInputSerializer

    @extend_schema(
        request=DisputeInputSerializer,
        responses={200: BookingSerializer},
        tags=TAGS,
        description="Parent, instead of confirming the hours: while they are pending and within "
        "BOOKING_DISPUTE_WINDOW_HOURS (48) of the check-out → `disputed`; staff resolve it "
        "(with a partial refund or none). 409 `hours_not_pending`, 409 `dispute_window_closed`.",
    )
    def post(self, request: Request, booking_id: UUID) -> Response:
        return super().post(request, booking_id)

    def act(self, booking_id: UUID, actor: User, values: dict[str, Any]) -> object:
        return services.booking_dispute(booking_id=booking_id, actor=actor, reason=values["reason"])


class BookingNoShowApi(BookingActionApi):
    @extend_schema(
        request=None,
        responses={200: BookingSerializer},
        tags=TAGS,
        description="Parent (or staff): the sitter never checked in. Allowed on an accepted or confirmed "
        "booking from BOOKING_NO_SHOW_GRACE_MINUTES (30) after the start (409 `no_show_too_early` before). "
        'The booking becomes `cancelled` with `cancel_reason: "no_show"`, free for the family (the payment '
        "is released), and the no-show counts in the sitter's `reliability` (GET sitters/{id}).",
    )
    def post(self, request: Request, booking_id: UUID) -> Response:
        return super().post(request, booking_id)

    def act(self, booking_id: UUID, actor: User, values: dict[str, Any]) -> object:
        return services.booking_no_show(booking_id=booking_id, actor=actor)


urlpatterns = [
    path("bookings/<uuid:booking_id>/review", BookingReviewApi.as_view(), name="review"),
    path("bookings/<uuid:booking_id>/review/reply", BookingReviewReplyApi.as_view(), name="review-reply"),
    path("bookings/<uuid:booking_id>/dispute", BookingDisputeApi.as_view(), name="dispute"),
    path("bookings/<uuid:booking_id>/no-show", BookingNoShowApi.as_view(), name="no-show"),
]
