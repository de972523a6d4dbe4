"""The sitter's own calendar (API.md, Sitters): weekly availability and dated exceptions.

``sitters/me/availability``: GET the sitter's time zone and weekly windows;
PUT ``{"timezone": "Europe/Berlin", "windows": [{weekday, start_time,
end_time}]}`` replaces every window and sets the time zone. Times are local
``"HH:MM"`` in that zone (no seconds); ``end_time`` may be ``"24:00"``, the
end of the day. Weekday 0 is Monday. Windows of one weekday must not overlap;
windows that only touch do not.

``sitters/me/availability/exceptions``: a day off ``{date, available: false}``,
busy hours ``{date, available: false, start_time, end_time}`` or extra hours
``{date, available: true, start_time, end_time}``, from today (the sitter's
today) to the end of the availability horizon; exceptions of one date must
not overlap.

Invalid input answers 400 with ``errors`` keyed by the field's path:
``timezone``, ``windows.2`` (the third window: start after end, overlapping
another), ``windows.2.start_time`` (its format), ``date``, ``start_time``.
Overlaps carry the code ``availability_overlap``.

``sitters/me/holds`` (beyond API.md): GET the sitter's holds that have not
ended (bookings' and their own); POST ``{starts_at, ends_at}`` blocks time
(201; 409 ``sitter_unavailable`` over another hold); DELETE
``sitters/me/holds/{id}`` frees blocked time (204; a booking's hold: 409).

Sitters only (others get 403); another sitter's exception or hold id answers 404.
"""

from __future__ import annotations

import re
from typing import Any, cast
from uuid import UUID

from django.urls import path
from django.utils import timezone as dj_timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import StrictSerializer
from sitters.api.common import IsSitter
from sitters.models import AvailabilityException, HoldKind, SitterProfile
from sitters.models.calendar import MINUTES_PER_DAY
from sitters.selectors import calendar as selectors
from sitters.services import calendar as services
from sitters.services.profile import sitter_profile_for

TAGS = ["sitters"]
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
START_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
END_PATTERN = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"


def _time_schema(pattern: str, example: str) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern, "example": example}


class TimeOfDayField(serializers.Field):
    """Local ``"HH:MM"`` on the wire, minutes from local midnight inside; ``"24:00"`` only as an end."""

    default_error_messages = {
        "invalid": 'Use "HH:MM" (00:00 to 23:59).',
        "invalid_end": 'Use "HH:MM" (00:00 to 23:59, or 24:00 for the end of the day).',
    }

    def __init__(self, *, end: bool = False, **kwargs: Any) -> None:
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if self.end and data == "24:00":
            return MINUTES_PER_DAY
        match = _TIME.fullmatch(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid_end" if self.end else "invalid")
        return int(match.group(1)) * 60 + int(match.group(2))

    def to_representation(self, value: int) -> str:
        return f"{value // 60:02d}:{value % 60:02d}"


@extend_schema_field(_time_schema(START_PATTERN, "09:00"))
class StartTimeField(TimeOfDayField):
    pass


@extend_schema_field(_time_schema(END_PATTERN, "17:30"))
class EndTimeField(TimeOfDayField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(end=True, **kwargs)


def _sitter(request: Request) -> User:
    return cast(User, request.user)


def _profile(request: Request) -> SitterProfile:
    return sitter_profile_for(user=_sitter(request))


class CalendarApi(APIView):
    permission_classes = [IsAuthenticated, IsSitter]


# --- weekly availability ------------------------------------------------------------------------


@extend_schema_serializer(component_name="AvailabilityWindow")
class WindowSerializer(StrictSerializer):
    """Recurring local hours on one weekday."""

    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 Monday … 6 Sunday.")
    start_time = StartTimeField(source="start_minute")
    end_time = EndTimeField(source="end_minute", help_text='"24:00" is the end of the day.')


@extend_schema_serializer(component_name="Availability")
class AvailabilitySerializer(StrictSerializer):
    """The sitter's one time zone and weekly windows (local times in it)."""

    timezone = serializers.CharField(max_length=64, help_text="IANA name, such as Europe/Berlin.")
    windows = serializers.ListField(child=WindowSerializer(), max_length=services.MAX_WINDOWS)
    availability_until = serializers.DateField(
        read_only=True, allow_null=True, help_text="The last local day materialised for search."
    )

    def validate_timezone(self, value: str) -> str:
        if not services.timezone_is_valid(value):
            raise serializers.ValidationError("Not an IANA time zone name (such as 'Europe/Berlin').")
        return value


def _availability(profile: SitterProfile) -> dict[str, Any]:
    return AvailabilitySerializer(
        {
            "timezone": profile.timezone,
            "windows": selectors.window_list(profile=profile),
            "availability_until": profile.availability_until,
        }
    ).data


class AvailabilityApi(CalendarApi):
    """The sitter's weekly availability; PUT replaces all windows and sets the time zone."""

    @extend_schema(responses={200: AvailabilitySerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        return Response(_availability(_profile(request)))

    @extend_schema(request=AvailabilitySerializer, responses={200: AvailabilitySerializer}, tags=TAGS)
    def put(self, request: Request) -> Response:
        data = AvailabilitySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        windows = [(w["weekday"], w["start_minute"], w["end_minute"]) for w in data.validated_data["windows"]]
        profile = services.availability_set(
            profile=_profile(request),
            timezone=data.validated_data["timezone"],
            windows=windows,
            actor=_sitter(request),
        )
        return Response(_availability(profile))


# --- exceptions ---------------------------------------------------------------------------------


@extend_schema_serializer(component_name="AvailabilityException")
class ExceptionSerializer(StrictSerializer):
    """A dated change: day off (not available, no times), busy hours (not available, times), extra hours."""

    id = serializers.UUIDField(read_only=True)
    date = serializers.DateField(help_text="A local date, from today to the end of the availability horizon.")
    available = serializers.BooleanField(help_text="true: extra hours (times required); false: day off or busy.")
    start_time = StartTimeField(source="start_minute", required=False, allow_null=True)
    end_time = EndTimeField(source="end_minute", required=False, allow_null=True)


EXCEPTION_FIELDS = ("date", "available", "start_minute", "end_minute")


class ExceptionListApi(CalendarApi):
    class Pagination(CursorPagination):
        ordering = ("date", "created_at")  # type: ignore[assignment]  # DRF takes a tuple too

    pagination_class = Pagination

    @extend_schema(responses={200: ExceptionSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        exceptions = selectors.exception_list_for_sitter(profile=_profile(request))
        page = paginator.paginate_queryset(exceptions, request, self)
        return paginator.get_paginated_response(ExceptionSerializer(page, many=True).data)

    @extend_schema(request=ExceptionSerializer, responses={201: ExceptionSerializer}, tags=TAGS)
    def post(self, request: Request) -> Response:
        data = ExceptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {key: data.validated_data.get(key) for key in EXCEPTION_FIELDS}
        exception = services.exception_create(profile=_profile(request), actor=_sitter(request), **values)
        return Response(ExceptionSerializer(exception).data, status=status.HTTP_201_CREATED)


class ExceptionDetailApi(CalendarApi):
    def _get(self, request: Request, exception_id: UUID) -> AvailabilityException:
        return selectors.exception_get_for_sitter(exception_id=exception_id, profile=_profile(request))

    @extend_schema(responses={200: ExceptionSerializer}, tags=TAGS)
    def get(self, request: Request, exception_id: UUID) -> Response:
        return Response(ExceptionSerializer(self._get(request, exception_id)).data)

    @extend_schema(request=ExceptionSerializer, responses={200: ExceptionSerializer}, tags=TAGS)
    def patch(self, request: Request, exception_id: UUID) -> Response:
        exception = self._get(request, exception_id)
        data = ExceptionSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {key: data.validated_data.get(key, getattr(exception, key)) for key in EXCEPTION_FIELDS}
        exception = services.exception_update(exception=exception, actor=_sitter(request), **values)
        return Response(ExceptionSerializer(exception).data)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request: Request, exception_id: UUID) -> Response:
        services.exception_delete(exception=self._get(request, exception_id), actor=_sitter(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- time the sitter blocks -------------------------------------------------------------------


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset (API.md); a time without one is refused, not guessed."""

    default_error_messages = {"naive": "Include a time zone offset, such as 2030-01-01T10:00:00+01:00."}

    def enforce_timezone(self, value: Any) -> Any:
        if dj_timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


@extend_schema_serializer(component_name="SitterHold")
class HoldSerializer(StrictSerializer):
    """A busy period: ``blocked`` by the sitter, or a ``booking``'s (read-only here)."""

    id = serializers.UUIDField(read_only=True)
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField(help_text="After starts_at, at most 7 days later, and in the future.")
    kind = serializers.CharField(read_only=True)


class HoldListApi(CalendarApi):
    """The sitter's holds that have not ended; POST blocks time (no availability needed, no overlap allowed)."""

    class Pagination(CursorPagination):
        ordering = "starts_at"

    pagination_class = Pagination

    @extend_schema(responses={200: HoldSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        holds = selectors.hold_list_upcoming_for_sitter(profile=_profile(request), now=dj_timezone.now())
        page = paginator.paginate_queryset(holds, request, self)
        return paginator.get_paginated_response(HoldSerializer(page, many=True).data)

    @extend_schema(
        request=HoldSerializer,
        responses={201: HoldSerializer},
        description="409 sitter_unavailable when the period overlaps another hold.",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = HoldSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["ends_at"] <= dj_timezone.now():
            raise serializers.ValidationError({"ends_at": ["Must be in the future."]})
        hold = services.hold_place(
            sitter_id=_profile(request).pk,
            starts_at=data.validated_data["starts_at"],
            ends_at=data.validated_data["ends_at"],
            kind=HoldKind.BLOCKED,
            require_available=False,
            actor=_sitter(request),
        )
        return Response(HoldSerializer(hold).data, status=status.HTTP_201_CREATED)


class HoldDetailApi(CalendarApi):
    @extend_schema(
        responses={204: None}, description="409 conflict for a booking's hold: cancel the booking.", tags=TAGS
    )
    def delete(self, request: Request, hold_id: UUID) -> Response:
        hold = selectors.hold_get_for_sitter(hold_id=hold_id, profile=_profile(request))
        services.hold_delete_blocked(hold=hold, actor=_sitter(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("sitters/me/availability", AvailabilityApi.as_view(), name="availability"),
    path("sitters/me/availability/exceptions", ExceptionListApi.as_view(), name="availability-exception-list"),
    path(
        "sitters/me/availability/exceptions/<uuid:exception_id>",
        ExceptionDetailApi.as_view(),
        name="availability-exception-detail",
    ),
    path("sitters/me/holds", HoldListApi.as_view(), name="hold-list"),
    path("sitters/me/holds/<uuid:hold_id>", HoldDetailApi.as_view(), name="hold-detail"),
]
