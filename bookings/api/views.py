"""Bookings over HTTP (API.md, Bookings): a thin layer over bookings.services and bookings.selectors.

Every action answers the booking as it is after the move (200); a repeated
move answers it unchanged; a move the transitions table does not allow is a
409 with its code. Another party's booking is 404.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from bookings import policy, selectors, services
from bookings.models import Booking, BookingStatus, HoursStatus
from guardiannest.api.idempotency import idempotent
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import StrictSerializer
from guardiannest.money import money

TAGS = ["bookings"]


def caller(request: Request) -> User:
    return cast(User, request.user)


@extend_schema_serializer(component_name="BookingMoney")
class MoneyOutSerializer(serializers.Serializer):
    amount = serializers.IntegerField()
    currency = serializers.CharField()


@extend_schema_serializer(component_name="Booking")
class BookingSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=BookingStatus.choices)
    parent_id = serializers.UUIDField()
    sitter_id = serializers.UUIDField()
    child_ids = serializers.ListField(child=serializers.UUIDField())
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    timezone = serializers.CharField(help_text="The sitter's time zone; start and end are shown in it.")
    hourly_rate = MoneyOutSerializer()
    price = MoneyOutSerializer(help_text="Rate x real elapsed time, computed by the server.")
    notes = serializers.CharField()
    payment_status = serializers.CharField(allow_null=True, help_text="Null until the sitter accepts.")
    cancellation_fee = MoneyOutSerializer()
    cancellation_fee_now = MoneyOutSerializer(
        allow_null=True,
        help_text="What the family would pay if it cancelled now (the policy in GET config); "
        "null once the booking can no longer be cancelled. A sitter's cancellation is always free.",
    )
    cancel_reason = serializers.CharField(
        help_text='Why it was cancelled; "taken" when another sitter of the same multi-sitter request accepted first.'
    )
    hours_status = serializers.ChoiceField(choices=HoursStatus.choices)
    expires_at = serializers.DateTimeField()
    checked_in_at = serializers.DateTimeField(allow_null=True)
    checked_out_at = serializers.DateTimeField(allow_null=True)
    check_in_flagged = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    request_group = serializers.UUIDField(allow_null=True, help_text="The multi-sitter request it belongs to.")
    series_id = serializers.UUIDField(allow_null=True, help_text="The weekly series it belongs to.")


def _payment_status(booking: Booking) -> str | None:
    if booking.payment is not None:
        return booking.payment.status
    return "requires_payment_method" if booking.status == BookingStatus.ACCEPTED else None


def _fee_now(booking: Booking) -> int | None:
    if booking.status == BookingStatus.REQUESTED:
        return 0
    if booking.status in (BookingStatus.ACCEPTED, BookingStatus.CONFIRMED):
        return policy.cancellation_fee(
            price=booking.price_amount, starts_at=booking.starts_at, now=timezone.now(), by_sitter=False
        )
    return None


def booking_data(booking: Booking) -> dict[str, Any]:
    zone = ZoneInfo(booking.timezone)
    fee_now = _fee_now(booking)
    return {
        "id": booking.pk,
        "status": booking.status,
        "parent_id": booking.parent_id,
        "sitter_id": booking.sitter_id,
        "child_ids": [child.pk for child in booking.children.all()],
        # Strings, so DRF keeps the sitter's offset instead of converting to the server's zone.
        "start": booking.starts_at.astimezone(zone).isoformat(),
        "end": booking.ends_at.astimezone(zone).isoformat(),
        "timezone": booking.timezone,
        "hourly_rate": money(booking.hourly_rate, booking.currency),
        "price": money(booking.price_amount, booking.currency),
        "notes": booking.notes,
        "payment_status": _payment_status(booking),
        "cancellation_fee": money(booking.cancellation_fee_amount, booking.currency),
        "cancellation_fee_now": None if fee_now is None else money(fee_now, booking.currency),
        "cancel_reason": booking.cancel_reason,
        "hours_status": booking.hours_status,
        "expires_at": booking.expires_at,
        "checked_in_at": booking.checked_in_at,
        "checked_out_at": booking.checked_out_at,
        "check_in_flagged": booking.check_in_flagged,
        "created_at": booking.created_at,
        "request_group": booking.request_group,
        "series_id": booking.series_id,
    }


def booking_answer(booking_id: UUID, user: User, status: int = 200) -> Response:
    booking = selectors.booking_get_for_user(booking_id=booking_id, user=user)
    return Response(BookingSerializer(booking_data(booking)).data, status=status)


@extend_schema_serializer(component_name="PlatformConfig")
class ConfigSerializer(serializers.Serializer):
    currency = serializers.CharField()
    min_booking_minutes = serializers.IntegerField()
    platform_fee_percent = serializers.FloatField()
    cancellation_policy = serializers.ListField(child=serializers.DictField())
    request_expiry_minutes = serializers.IntegerField()
    last_minute_request_expiry_minutes = serializers.IntegerField()
    last_minute_hours = serializers.IntegerField()
    check_in_opens_minutes = serializers.IntegerField()
    no_show_grace_minutes = serializers.IntegerField(help_text="A no-show is reported this long after the start.")
    dispute_window_hours = serializers.IntegerField(help_text="Hours after check-out to confirm or dispute.")
    family_data_hours_before = serializers.IntegerField(
        help_text="The sitter sees the family's address and health notes from this long before the start."
    )
    max_sitters_per_request = serializers.IntegerField()


class ConfigApi(APIView):
    """What apps must not hard-code: currency, minimum booking, fee, cancellation policy, request expiry."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(responses={200: ConfigSerializer}, tags=["config"])
    def get(self, request: Request) -> Response:
        return Response(ConfigSerializer(policy.config()).data)


@extend_schema_serializer(component_name="BookingCreateInput")
class BookingCreateSerializer(StrictSerializer):
    sitter_id = serializers.UUIDField(required=False, help_text="One sitter; or name several in sitter_ids.")
    sitter_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        min_length=2,
        max_length=20,
        help_text="One request to 2-5 sitters instead of sitter_id: the first to accept wins, "
        'the others become cancelled with cancel_reason "taken". Answers {request_group, bookings}.',
    )
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    child_ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=10)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("sitter_id" in attrs) == ("sitter_ids" in attrs):
            raise serializers.ValidationError({"sitter_id": ["Send either sitter_id or sitter_ids."]})
        return attrs


@extend_schema_serializer(component_name="BookingRequestGroup")
class RequestGroupSerializer(serializers.Serializer):
    request_group = serializers.UUIDField()
    bookings = BookingSerializer(many=True, help_text="One requested booking per sitter, in the order named.")


def bookings_data(ids: list[UUID], user: User) -> list[dict[str, Any]]:
    """The bookings ``ids`` as ``user`` sees them, in that order, read in one go."""
    found = {b.pk: b for b in selectors.booking_list_for_user(user=user).filter(pk__in=ids)}
    return [booking_data(found[pk]) for pk in ids]


class BookingListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=BookingStatus.values)],
        responses={200: BookingSerializer(many=True)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        rows = selectors.booking_list_for_user(user=caller(request), status=request.query_params.get("status"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, self) or []
        return paginator.get_paginated_response(BookingSerializer([booking_data(b) for b in page], many=True).data)

    @extend_schema(
        request=BookingCreateSerializer,
        responses={
            201: PolymorphicProxySerializer(
                component_name="BookingCreated",
                serializers=[BookingSerializer, RequestGroupSerializer],
                resource_type_field_name=None,
            )
        },
        description="With sitter_id: the booking. With sitter_ids (2-5): {request_group, bookings}.",
        tags=TAGS,
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = BookingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "sitter_ids" in values:
            group, made = services.booking_request_group_create(
                parent=caller(request),
                sitter_ids=values["sitter_ids"],
                starts_at=values["start"],
                ends_at=values["end"],
                child_ids=values["child_ids"],
                notes=values["notes"],
            )
            bookings = bookings_data([b.pk for b in made], caller(request))
            answer = {"request_group": group, "bookings": bookings}
            return Response(RequestGroupSerializer(answer).data, status=201)
        booking = services.booking_create(
            parent=caller(request),
            sitter_id=values["sitter_id"],
            starts_at=values["start"],
            ends_at=values["end"],
            child_ids=values["child_ids"],
            notes=values["notes"],
        )
        return booking_answer(booking.pk, caller(request), status=201)


@extend_schema_serializer(component_name="BookingFamilyChild")
class FamilyChildSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = serializers.CharField()
    allergies = serializers.CharField(allow_blank=True)
    medical_notes = serializers.CharField(allow_blank=True)
    special_needs = serializers.CharField(allow_blank=True)


@extend_schema_serializer(component_name="BookingFamily")
class FamilySerializer(serializers.Serializer):
    address = serializers.CharField(allow_null=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    children = FamilyChildSerializer(many=True)


@extend_schema_serializer(component_name="BookingDetail")
class BookingDetailSerializer(BookingSerializer):
    family = FamilySerializer(
        allow_null=True,
        help_text="Only for the booking's sitter, only from 2 hours before the start until the end of a confirmed "
        "or in-progress booking (BOOKING_FAMILY_DATA_HOURS_BEFORE): the family's address and the booked "
        "children's allergies, medical notes and special needs. Null otherwise, and absent from every other "
        "answer. Each read is audited on the family's security trail (GET security/events).",
    )


def family_data(family: selectors.BookingFamily | None) -> dict[str, Any] | None:
    if family is None:
        return None
    address = family.address
    return {
        "address": address.address if address else None,
        "latitude": address.latitude if address else None,
        "longitude": address.longitude if address else None,
        "children": [
            {
                "id": child.child_id,
                "first_name": child.first_name,
                "allergies": child.medical.allergies,
                "medical_notes": child.medical.medical_notes,
                "special_needs": child.medical.special_needs,
            }
            for child in family.children
        ],
    }


class BookingDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: BookingDetailSerializer}, tags=TAGS)
    def get(self, request: Request, booking_id: UUID) -> Response:
        user = caller(request)
        booking = selectors.booking_get_for_user(booking_id=booking_id, user=user)
        family = selectors.booking_family_for(booking=booking, reader=user)
        data = {**booking_data(booking), "family": family_data(family)}
        return Response(BookingDetailSerializer(data).data)


urlpatterns = [
    path("config", ConfigApi.as_view(), name="config"),
    path("bookings", BookingListApi.as_view(), name="list"),
    path("bookings/<uuid:booking_id>", BookingDetailApi.as_view(), name="detail"),
]
