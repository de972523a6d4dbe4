"""Feature requests (API.md, Feedback and analytics): read, propose, vote.

``GET feature-requests``: every request, most votes first then newest, cursor
paginated, each with ``vote_count``, whether the caller ``voted`` and whether it
is ``mine``. ``POST feature-requests`` ``{title, description}`` → 201: the new
request, with its author's vote (throttled per user, scope ``feedback``).

``POST feature-requests/{id}/vote`` → 200 with the request: voting twice counts
once. ``DELETE feature-requests/{id}/vote`` → 200 with the request: the caller's
vote withdrawn (none to withdraw: nothing changes). Staff set the status in the
admin (open, planned, in_progress, done, declined); done and declined requests
take no votes nor withdrawals (409 ``feature_request_closed``). An unknown id is 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from feedback.api.common import TAGS, ThrottledWrites, caller
from feedback.models import FeatureRequest, FeatureRequestStatus
from feedback.selectors.feature_requests import feature_request_get, feature_request_list
from feedback.services.feature_requests import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    feature_request_create,
    feature_request_unvote,
    feature_request_vote,
)
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import CleanTextField, StrictSerializer


@extend_schema_serializer(component_name="FeatureRequestInput")
class FeatureRequestInputSerializer(StrictSerializer):
    title = CleanTextField(max_length=TITLE_MAX, multiline=False)
    description = CleanTextField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="FeatureRequest")
class FeatureRequestSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=FeatureRequestStatus.choices)
    vote_count = serializers.IntegerField()
    voted = serializers.BooleanField(help_text="Whether you voted for it.")
    mine = serializers.BooleanField(help_text="Whether you proposed it.")
    votable = serializers.BooleanField(help_text="False once done or declined: votes are closed.")
    created_at = serializers.DateTimeField()


def request_data(request: FeatureRequest, user: User) -> dict[str, Any]:
    return {
        "id": request.pk,
        "title": request.title,
        "description": request.description,
        "status": request.status,
        "vote_count": request.vote_count,
        "voted": bool(getattr(request, "voted", False)),
        "mine": request.author_id == user.pk,
        "votable": request.votable,
        "created_at": request.created_at,
    }


def _answer(feature_request_id: UUID, user: User, code: int = status.HTTP_200_OK) -> Response:
    request = feature_request_get(feature_request_id=feature_request_id, user=user)
    return Response(FeatureRequestSerializer(request_data(request, user)).data, status=code)


class FeatureRequestListApi(ThrottledWrites, APIView):
    class Pagination(CursorPagination):
        ordering = ("-vote_count", "-created_at", "-id")  # type: ignore[assignment]  # DRF takes a tuple

    pagination_class = Pagination  # also tells the schema the list is paginated

    @extend_schema(
        responses={200: FeatureRequestSerializer(many=True)},
        tags=TAGS,
        description="Every feature request, most votes first, then newest.",
    )
    def get(self, request: Request) -> Response:
        user = caller(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(feature_request_list(user=user), request, self) or []
        body = FeatureRequestSerializer([request_data(row, user) for row in page], many=True).data
        return paginator.get_paginated_response(body)

    @extend_schema(
        request=FeatureRequestInputSerializer,
        responses={201: FeatureRequestSerializer},
        tags=TAGS,
        description="Propose a feature; your vote comes with it. Throttled per user (429).",
    )
    def post(self, request: Request) -> Response:
        data = FeatureRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = feature_request_create(author=caller(request), **data.validated_data)
        return _answer(created.pk, caller(request), status.HTTP_201_CREATED)


class FeatureRequestVoteApi(APIView):
    @extend_schema(
        request=None,
        responses={200: FeatureRequestSerializer},
        tags=TAGS,
        description="Vote for it; voting twice counts once. 409 feature_request_closed once done or declined.",
    )
    def post(self, request: Request, feature_request_id: UUID) -> Response:
        feature_request_vote(feature_request_id=feature_request_id, voter=caller(request))
        return _answer(feature_request_id, caller(request))

    @extend_schema(
        request=None,
        responses={200: FeatureRequestSerializer},
        tags=TAGS,
        description="Withdraw your vote (none cast: nothing changes). 409 feature_request_closed once done or "
        "declined.",
    )
    def delete(self, request: Request, feature_request_id: UUID) -> Response:
        feature_request_unvote(feature_request_id=feature_request_id, voter=caller(request))
        return _answer(feature_request_id, caller(request))


urlpatterns = [
    path("feature-requests", FeatureRequestListApi.as_view(), name="feature-requests"),
    path(
        "feature-requests/<uuid:feature_request_id>/vote", FeatureRequestVoteApi.as_view(), name="feature-request-vote"
    ),
]
