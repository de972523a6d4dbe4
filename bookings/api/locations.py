"""Live tracking and safety timers over HTTP (API.md, Bookings): thin over bookings.tracking.

``POST bookings/{id}/locations`` (the sitter, in progress): one fix or a list
→ 202 ``{accepted}``. ``GET bookings/{id}/locations`` (the parent, staff):
the trail, newest first, paginated; every view is audited.
``POST bookings/{id}/overdue`` (the sitter, after the end): the parent has not
come back → 201 with the timer and the emergency alert it opened (a repeat: 200
with the same one).
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django.conf import settings
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import pagination, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from bookings.tracking import selectors, services
from bookings.tracking.models import BookingLocation, SafetyAlert
from bookings.tracking.validation import location_fixes_parse

TAGS = ["bookings"]


@extend_schema_serializer(component_name="BookingLocation")
class LocationSerializer(serializers.Serializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    accuracy_m = serializers.FloatField(required=False, allow_null=True, min_value=0)
    recorded_at = serializers.DateTimeField(help_text="When the phone took the fix; not in the future.")


class LocationsAcceptedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Fixes newly stored (a fix sent again is stored once).")


class SafetyAlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    booking_id = serializers.UUIDField()
    kind = serializers.CharField(help_text="parent_overdue or missed_check_in.")
    emergency_id = serializers.UUIDField(
        allow_null=True, help_text="The emergency alert it opened, on the escalation ladder: GET emergencies/{id}."
    )
    created_at = serializers.DateTimeField()


class TrailPagination(pagination.CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-recorded_at"


def _location(row: BookingLocation) -> dict[str, Any]:
    return {
        "latitude": float(row.latitude),
        "longitude": float(row.longitude),
        "accuracy_m": row.accuracy_m,
        "recorded_at": row.recorded_at,
    }


class BookingLocationsApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = TrailPagination

    @extend_schema(responses={200: LocationSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request, booking_id: UUID) -> Response:
        rows = selectors.booking_location_list_for_user(booking_id=booking_id, user=cast(User, request.user))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, self) or []
        return paginator.get_paginated_response(LocationSerializer([_location(r) for r in page], many=True).data)

    @extend_schema(
        request={
            "application/json": {
                "oneOf": [
                    {"$ref": "#/components/schemas/BookingLocation"},
                    {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/BookingLocation"},
                        "minItems": 1,
                        "maxItems": settings.LOCATION_BATCH_MAX,
                    },
                ]
            }
        },
        responses={202: LocationsAcceptedSerializer},
        description=(
            "One location object, or a list of them (at most LOCATION_BATCH_MAX), from the booking's sitter while "
            "it is in progress. 409 booking_not_in_progress otherwise; 429 too_many_locations over the rate."
        ),
        tags=TAGS,
    )
    def post(self, request: Request, booking_id: UUID) -> Response:
        fixes = location_fixes_parse(request.data, now=timezone.now())
        stored = services.location_record(sitter_id=cast(User, request.user).pk, booking_id=booking_id, fixes=fixes)
        return Response({"accepted": stored}, status=202)


def _alert(alert: SafetyAlert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "booking_id": alert.booking_id,
        "kind": alert.kind,
        "emergency_id": alert.alert_id,
        "created_at": alert.created_at,
    }


class BookingOverdueApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={201: SafetyAlertSerializer, 200: SafetyAlertSerializer},
        description=(
            "The sitter reports that the parent has not come back after the booking's end: an emergency alert of "
            "kind parent_overdue opens (`emergency_id`) and climbs the escalation ladder (the parent and the family's "
            "emergency contacts, then the on-call staff, until someone acknowledges; `emergency.raised` on the staff "
            "sockets at once). It resolves itself at the check-out. A repeat answers 200 with the first alert and "
            "opens nothing. 409 booking_not_ended before the end, booking_not_in_progress when not under way; "
            "403 not_the_sitter for the parent; 404 for anyone else."
        ),
        tags=TAGS,
    )
    def post(self, request: Request, booking_id: UUID) -> Response:
        alert, created = services.safety_parent_overdue_raise(booking_id=booking_id, sitter=cast(User, request.user))
        return Response(SafetyAlertSerializer(_alert(alert)).data, status=201 if created else 200)


urlpatterns = [
    path("bookings/<uuid:booking_id>/locations", BookingLocationsApi.as_view(), name="locations"),
    path("bookings/<uuid:booking_id>/overdue", BookingOverdueApi.as_view(), name="overdue"),
]
