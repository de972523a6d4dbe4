"""Families who booked the sitter: ``GET sitters/me/families`` (sitters only; others 403).

Each family shows as ``{parent_id, first_name, bookings_count,
first_booked_at, last_booked_at, rebooked}``: no surname, no address.
``?rebooked=true`` keeps families with two or more completed bookings,
``false`` those with one. Most recent booking first, cursor paginated.
"""

from __future__ import annotations

from typing import cast

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from guardiannest.api.pagination import CursorPagination
from sitters.api.common import IsSitter
from sitters.selectors.clients import REBOOKED_MIN, client_list_for_sitter
from sitters.services.profile import sitter_profile_for


@extend_schema_serializer(component_name="SitterFamily")
class FamilySerializer(serializers.Serializer):
    parent_id = serializers.UUIDField(read_only=True)
    first_name = serializers.CharField(source="parent.first_name", read_only=True)
    bookings_count = serializers.IntegerField(read_only=True)
    first_booked_at = serializers.DateTimeField(read_only=True)
    last_booked_at = serializers.DateTimeField(read_only=True)
    rebooked = serializers.SerializerMethodField()

    def get_rebooked(self, obj: object) -> bool:
        return int(getattr(obj, "bookings_count", 0)) >= REBOOKED_MIN


class FamilyQuerySerializer(serializers.Serializer):
    """The filter; pagination parameters are the paginator's."""

    rebooked = serializers.BooleanField(required=False, allow_null=True, default=None)


class SitterFamilyListApi(APIView):
    permission_classes = [IsAuthenticated, IsSitter]

    class Pagination(CursorPagination):
        ordering = "-last_booked_at"

    pagination_class = Pagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "rebooked", OpenApiTypes.BOOL, description="true: two or more bookings; false: exactly one."
            )
        ],
        responses={200: FamilySerializer(many=True)},
        tags=["sitters"],
    )
    def get(self, request: Request) -> Response:
        query = FamilyQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        profile = sitter_profile_for(user=cast(User, request.user))
        clients = client_list_for_sitter(sitter=profile, rebooked=query.validated_data.get("rebooked"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(clients, request, self)
        return paginator.get_paginated_response(FamilySerializer(page, many=True).data)


urlpatterns = [
    path("sitters/me/families", SitterFamilyListApi.as_view(), name="families"),
]
