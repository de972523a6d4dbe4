"""Emergencies over HTTP (API.md, Emergencies): a thin layer over emergencies.services and selectors.

- POST ``emergencies`` answers 201 with a new alert, or 200 with the first one
  when the same signed-in device raised one within ``EMERGENCY_DEDUPE_SECONDS``.
- acknowledge and resolve answer 200 with the alert as it is after the move; a
  repeat (the same person acknowledging again, resolving a resolved alert)
  changes nothing and answers the same 200.
- An alert the caller may not see, or a booking not theirs, is 404.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.services.sessions import SESSION_CLAIM
from emergencies import selectors, services
from emergencies.models import Emergency, EmergencyKind, EmergencyStatus
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import StrictSerializer

TAGS = ["emergencies"]


def caller(request: Request) -> User:
    return cast(User, request.user)


def device_of(request: Request) -> str:
    """The signed-in session the request comes from (the token's ``sid``): one per device."""
    token = request.auth
    value = token.get(SESSION_CLAIM) if token is not None and hasattr(token, "get") else None
    return str(value or "")


@extend_schema_serializer(component_name="EmergencyRaiseInput")
class RaiseSerializer(StrictSerializer):
    booking_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.MESSAGE_MAX)


@extend_schema_serializer(component_name="EmergencyResolveInput")
class ResolveSerializer(StrictSerializer):
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.NOTES_MAX)


@extend_schema_serializer(component_name="EmergencyTimelineEntry")
class TimelineEntrySerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["raised", "escalation", "delivery", "acknowledged", "resolved"],
        help_text="raised; escalation (a ladder step: step 0 is the first fan-out); delivery (one message on one "
        "channel, with the provider's status); acknowledged (once per person); resolved.",
    )
    at = serializers.DateTimeField()
    actor_id = serializers.UUIDField(required=False, allow_null=True)
    actor_role = serializers.CharField(required=False)
    step = serializers.IntegerField(required=False)
    rung = serializers.CharField(required=False, help_text="The ladder's rung: raised, family_again, on_call_staff.")
    status = serializers.CharField(
        required=False,
        help_text="escalation: scheduled, sent, cancelled; "
        "delivery: queued, sending, sent, delivered, failed, skipped.",
    )
    due_at = serializers.DateTimeField(required=False)
    recipients = serializers.IntegerField(required=False)
    audience = serializers.CharField(required=False, help_text="parties, contacts or on_call_staff.")
    contact_priority = serializers.IntegerField(required=False, allow_null=True)
    recipient_id = serializers.UUIDField(required=False, allow_null=True)
    channel = serializers.CharField(required=False)
    attempts = serializers.IntegerField(required=False)
    provider = serializers.CharField(required=False)
    error = serializers.CharField(required=False)
    sent_at = serializers.DateTimeField(required=False, allow_null=True)
    updated_at = serializers.DateTimeField(required=False)


@extend_schema_serializer(component_name="Emergency")
class EmergencySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(
        choices=EmergencyKind.choices,
        help_text="sos (raised by a parent or a sitter); missed_check_in (the booking's check-in is overdue, raised "
        "by the platform); parent_overdue (the sitter reports the parent not back after the end). Each kind climbs "
        "the same escalation ladder; the last two are one per booking and close by themselves when the sitter "
        "checks in, or out.",
    )
    status = serializers.ChoiceField(choices=EmergencyStatus.choices)
    booking_id = serializers.UUIDField(allow_null=True)
    raised_by_id = serializers.UUIDField(
        allow_null=True, help_text="Null when the platform raised it (missed_check_in)."
    )
    latitude = serializers.FloatField(allow_null=True, help_text="Null when no place is known (missed_check_in).")
    longitude = serializers.FloatField(allow_null=True)
    map_url = serializers.URLField(allow_null=True, help_text="The place on OpenStreetMap; null without a place.")
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolution_notes = serializers.CharField()


@extend_schema_serializer(component_name="EmergencyDetail")
class EmergencyDetailSerializer(EmergencySerializer):
    timeline = TimelineEntrySerializer(many=True)


def emergency_data(emergency: Emergency) -> dict[str, Any]:
    return {
        "id": emergency.pk,
        "kind": emergency.kind,
        "status": emergency.status,
        "booking_id": emergency.booking_id,
        "raised_by_id": emergency.raised_by_id,
        "latitude": float(emergency.latitude) if emergency.latitude is not None else None,
        "longitude": float(emergency.longitude) if emergency.longitude is not None else None,
        "map_url": services.osm_url(emergency),
        "message": emergency.message,
        "created_at": emergency.created_at,
        "acknowledged_at": emergency.acknowledged_at,
        "resolved_at": emergency.resolved_at,
        "resolution_notes": emergency.resolution_notes,
    }


def _detail(emergency_id: UUID, user: User, status: int = 200) -> Response:
    emergency = selectors.emergency_get_for_user(emergency_id=emergency_id, user=user)
    data = emergency_data(emergency) | {"timeline": selectors.emergency_timeline(emergency=emergency)}
    return Response(EmergencyDetailSerializer(data).data, status=status)


class EmergencyListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination

    @extend_schema(
        responses={200: EmergencySerializer(many=True)},
        tags=TAGS,
        description="The caller's own alerts (raised by them, or about their bookings or family); staff: every "
        "alert not yet resolved.",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.emergency_list_for_user(user=caller(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, self) or []
        return paginator.get_paginated_response(EmergencySerializer([emergency_data(e) for e in page], many=True).data)

    @extend_schema(
        request=RaiseSerializer,
        responses={201: EmergencyDetailSerializer, 200: EmergencyDetailSerializer},
        tags=TAGS,
        description="Raise an SOS (a parent or a sitter; `booking_id` one of theirs, else 404). 201 with the new "
        "alert; 200 with the first alert when the same signed-in device raised one within "
        "EMERGENCY_DEDUPE_SECONDS (a double tap, a retry).",
    )
    def post(self, request: Request) -> Response:
        data = RaiseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        emergency, created = services.sos_raise(
            actor=caller(request),
            booking_id=values["booking_id"],
            latitude=values["latitude"],
            longitude=values["longitude"],
            message=values["message"],
            device=device_of(request),
        )
        return _detail(emergency.pk, caller(request), status=201 if created else 200)


class EmergencyDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: EmergencyDetailSerializer}, tags=TAGS)
    def get(self, request: Request, emergency_id: UUID) -> Response:
        return _detail(emergency_id, caller(request))


class EmergencyAcknowledgeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: EmergencyDetailSerializer},
        tags=TAGS,
        description="A party or staff is on it: the escalation ladder stops. Idempotent per person.",
    )
    def post(self, request: Request, emergency_id: UUID) -> Response:
        services.emergency_acknowledge(emergency_id=emergency_id, actor=caller(request))
        return _detail(emergency_id, caller(request))


class EmergencyResolveApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ResolveSerializer,
        responses={200: EmergencyDetailSerializer},
        tags=TAGS,
        description="Over, with notes: the ladder stops. Resolving a resolved alert changes nothing (200, the "
        "first notes kept).",
    )
    def post(self, request: Request, emergency_id: UUID) -> Response:
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.emergency_resolve(emergency_id=emergency_id, actor=caller(request), notes=data.validated_data["notes"])
        return _detail(emergency_id, caller(request))


urlpatterns = [
    path("emergencies", EmergencyListApi.as_view(), name="list"),
    path("emergencies/<uuid:emergency_id>", EmergencyDetailApi.as_view(), name="detail"),
    path("emergencies/<uuid:emergency_id>/acknowledge", EmergencyAcknowledgeApi.as_view(), name="acknowledge"),
    path("emergencies/<uuid:emergency_id>/resolve", EmergencyResolveApi.as_view(), name="resolve"),
]
