"""POST bookings/series: the same slot weekly, each occurrence a booking of its own (API.md, Bookings)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import services
from bookings.api.views import TAGS, BookingSerializer, bookings_data, caller
from guardiannest.api.idempotency import idempotent
from guardiannest.api.serializers import StrictSerializer


@extend_schema_serializer(component_name="BookingSeriesInput")
class SeriesCreateSerializer(StrictSerializer):
    sitter_id = serializers.UUIDField()
    start = serializers.DateTimeField(help_text="The first occurrence; the others follow weekly in the sitter's zone.")
    end = serializers.DateTimeField()
    child_ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=10)
    weeks = serializers.IntegerField(min_value=2, max_value=12, help_text="How many weekly occurrences (2-12).")
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


@extend_schema_serializer(component_name="BookingSeriesConflict")
class SeriesConflictSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="The refused occurrence's start, in the sitter's time zone.")
    code = serializers.CharField(help_text="Why: sitter_unavailable, booking_overlap, local_time_missing …")


@extend_schema_serializer(component_name="BookingSeries")
class SeriesSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    bookings = BookingSerializer(many=True, help_text="The occurrences made, soonest first.")
    conflicts = SeriesConflictSerializer(many=True)


class BookingSeriesApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=SeriesCreateSerializer,
        responses={201: SeriesSerializer},
        description="The same slot weekly (2-12 times, wall-clock time in the sitter's zone); each refused "
        "occurrence is listed in conflicts with its code, the others are made. None possible: 409.",
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = SeriesCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        series = services.booking_series_create(
            parent=caller(request),
            sitter_id=values["sitter_id"],
            starts_at=values["start"],
            ends_at=values["end"],
            child_ids=values["child_ids"],
            weeks=values["weeks"],
            notes=values["notes"],
        )
        answer = {
            "id": series.id,
            "bookings": bookings_data([b.pk for b in series.bookings], caller(request)),
            "conflicts": [{"start": start.isoformat(), "code": str(code)} for start, code in series.conflicts],
        }
        return Response(SeriesSerializer(answer).data, status=201)


urlpatterns = [
    path("bookings/series", BookingSeriesApi.as_view(), name="series"),
]
