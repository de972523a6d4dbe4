"""The moves of a booking over HTTP: accept, decline, cancel, check-in, check-out, hours confirm.

Each answers the booking as it is after the move (200); a repeated move answers it unchanged.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from bookings import services
from bookings.api.views import TAGS, BookingSerializer, booking_answer, caller
from guardiannest.api.serializers import StrictSerializer


@extend_schema_serializer(component_name="BookingReasonInput")
class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


@extend_schema_serializer(component_name="BookingPlaceInput")
class PlaceSerializer(StrictSerializer):
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180)


class BookingActionApi(APIView):
    """One move of a booking: validate the body (if any), call the service, answer the booking as it is now."""

    permission_classes = [IsAuthenticated]
    input_serializer: type[StrictSerializer] | None = None

    def act(self, booking_id: UUID, actor: User, values: dict[str, Any]) -> object:
        raise NotImplementedError

    def post(self, request: Request, booking_id: UUID) -> Response:
        values: dict[str, Any] = {}
        if self.input_serializer is not None:
            data = self.input_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
        self.act(booking_id, caller(request), values)
        return booking_answer(booking_id, caller(request))


def _schema(body: type[StrictSerializer] | None) -> Any:
    return extend_schema_view(post=extend_schema(request=body, responses={200: BookingSerializer}, tags=TAGS))


@_schema(None)
class BookingAcceptApi(BookingActionApi):
    def act(self, booking_id: UUID, actor: User, values: dict[str, Any]) -> object:
        return services.booking_accept(booking_id=booking_id, actor=actor)


@_schema(ReasonSerializer)
class BookingDeclineApi(BookingActionApi):
    input_serializer = ReasonSerializer

    def act(self, booking_id: UUID, actor: User, values: dict[str, Any]) -> object:
        return services.booking_decline(booking_id=booking_id, actor=actor, reason=values["reason"])


@_schema(ReasonSerializer)
class BookingCancelApi(BookingActionApi):
    input_serializer = ReasonSerializer

    def act(self, booking_id: UUID, actor: User, values: dict[str, Any]) -> object:
        return services.booking_cancel(booking_id=booking_id, actor=actor, reason=values["reason"])


@_schema(PlaceSerializer)
class BookingCheckInApi(BookingActionApi):
    input_serializer = PlaceSerializer

    def act(self, booking_id: UUID, actor: User, values: dict[str, Any]) -> object:
        return services.booking_check_in(booking_id=booking_id, actor=actor, **values)


@_schema(PlaceSerializer)
class BookingCheckOutApi(BookingActionApi):
    input_serializer = PlaceSerializer

    def act(self, booking_id: UUID, actor: User, values: dict[str, Any]) -> object:
        return services.booking_check_out(booking_id=booking_id, actor=actor, **values)


@_schema(None)
class BookingHoursConfirmApi(BookingActionApi):
    def act(self, booking_id: UUID, actor: User, values: dict[str, Any]) -> object:
        return services.booking_hours_confirm(booking_id=booking_id, actor=actor)


urlpatterns = [
    path("bookings/<uuid:booking_id>/accept", BookingAcceptApi.as_view(), name="accept"),
    path("bookings/<uuid:booking_id>/decline", BookingDeclineApi.as_view(), name="decline"),
    path("bookings/<uuid:booking_id>/cancel", BookingCancelApi.as_view(), name="cancel"),
    path("bookings/<uuid:booking_id>/check-in", BookingCheckInApi.as_view(), name="check-in"),
    path("bookings/<uuid:booking_id>/check-out", BookingCheckOutApi.as_view(), name="check-out"),
    path("bookings/<uuid:booking_id>/hours/confirm", BookingHoursConfirmApi.as_view(), name="hours-confirm"),
]
