"""POST ``feedback`` (API.md, Feedback and analytics): a message or a bug report, with an optional rating.

``{kind: feedback|bug, message, rating?}`` → 201 with the stored message. The
message is plain text (markup removed), 1 to 4,000 characters; ``rating`` is
1-5 or left out. The app sends ``X-App-Version`` and ``X-App-Platform`` when
it can: they are stored as labels for staff (a malformed one is dropped).
Throttled per user (scope ``feedback``, 429 with Retry-After).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.api.common import TAGS, THROTTLE_SCOPE, caller
from feedback.models import FeedbackKind, FeedbackStatus
from feedback.services.feedback import MESSAGE_MAX, feedback_submit
from guardiannest.api.serializers import CleanTextField, StrictSerializer

APP_HEADERS = [
    OpenApiParameter(
        "X-App-Version", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False, description="e.g. 2.4.1 (stored)."
    ),
    OpenApiParameter(
        "X-App-Platform", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False, description="ios, android, web."
    ),
]


@extend_schema_serializer(component_name="FeedbackInput")
class FeedbackInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=FeedbackKind.choices)
    message = CleanTextField(max_length=MESSAGE_MAX)
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True, default=None)


@extend_schema_serializer(component_name="Feedback")
class FeedbackSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=FeedbackKind.choices)
    message = serializers.CharField()
    rating = serializers.IntegerField(allow_null=True)
    app_version = serializers.CharField(allow_blank=True)
    platform = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=FeedbackStatus.choices, help_text="new, triaged or closed (by staff).")
    created_at = serializers.DateTimeField()


class FeedbackCreateApi(APIView):
    throttle_scope = THROTTLE_SCOPE

    @extend_schema(
        request=FeedbackInputSerializer,
        parameters=APP_HEADERS,
        responses={201: FeedbackSerializer},
        tags=TAGS,
        description="Send feedback or report a bug. Throttled per user (429).",
    )
    def post(self, request: Request) -> Response:
        data = FeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = feedback_submit(
            author=caller(request),
            **data.validated_data,
            app_version=request.headers.get("X-App-Version"),
            platform=request.headers.get("X-App-Platform"),
        )
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)


urlpatterns = [path("feedback", FeedbackCreateApi.as_view(), name="feedback")]
