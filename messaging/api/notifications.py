"""API of the notifications subdomain: the in-app list, preferences, one-click unsubscribe."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guardiannest.api.pagination import CursorPagination
from guardiannest.api.parsers import JSONParser
from guardiannest.api.serializers import StrictSerializer
from messaging.kinds import Category
from messaging.models.notifications import Notification
from messaging.selectors import notifications as selectors
from messaging.services import notifications as services
from messaging.services import preferences as preference_services


class StrictBooleanField(serializers.BooleanField):
    """true or false only: "no", 0 or "off" are typos the client should hear about."""

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)
        raise AssertionError  # fail() raises


@extend_schema_serializer(component_name="NotificationChannels")
class ChannelsSerializer(StrictSerializer):
    email = StrictBooleanField(required=False)
    sms = StrictBooleanField(required=False)
    push = StrictBooleanField(required=False)


@extend_schema_serializer(component_name="NotificationCategories")
class CategoriesSerializer(StrictSerializer):
    """One entry per category; unknown categories are refused by name."""

    account = ChannelsSerializer(required=False, help_text="Cannot be switched off.")
    booking = ChannelsSerializer(required=False)
    payment = ChannelsSerializer(required=False)
    chat = ChannelsSerializer(required=False)
    emergency = ChannelsSerializer(required=False, help_text="Cannot be switched off.")
    marketing = ChannelsSerializer(required=False, help_text="Off until you opt in; never by SMS.")


@extend_schema_serializer(component_name="NotificationPreferences")
class PreferencesSerializer(StrictSerializer):
    preferences = CategoriesSerializer()


@extend_schema_serializer(component_name="Notification")
class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "kind", "category", "title", "body", "data", "created_at", "read_at"]


@extend_schema_serializer(component_name="NotificationPage")
class NotificationPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = NotificationSerializer(many=True)


class NotificationListApi(APIView):
    """Your in-app notifications, newest first."""

    OutputSerializer = NotificationSerializer

    class Pagination(CursorPagination):
        ordering = "-created_at"

    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str, required=False, description="From `next` or `previous`."),
            OpenApiParameter("page_size", int, required=False, description="1 to 100; 20 by default."),
        ],
        responses={200: NotificationPageSerializer},
        tags=["notifications"],
    )
    def get(self, request: Request) -> Response:
        paginator = self.Pagination()
        page = paginator.paginate_queryset(selectors.notification_list_for_user(user=request.user), request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class NotificationReadApi(APIView):
    """Mark one of your notifications read (again is fine: the first read time stays)."""

    @extend_schema_serializer(component_name="NotificationReadInput")
    class InputSerializer(StrictSerializer):
        pass

    @extend_schema(
        request=InputSerializer, responses={200: NotificationListApi.OutputSerializer}, tags=["notifications"]
    )
    def post(self, request: Request, notification_id: UUID) -> Response:
        self.InputSerializer(data=request.data or {}).is_valid(raise_exception=True)
        notification = selectors.notification_get_for_user(notification_id=notification_id, user=request.user)
        notification = services.notification_mark_read(notification=notification)
        return Response(NotificationListApi.OutputSerializer(notification).data)


class NotificationReadAllApi(APIView):
    @extend_schema_serializer(component_name="NotificationReadAll")
    class OutputSerializer(serializers.Serializer):
        updated = serializers.IntegerField(help_text="How many were unread.")

    @extend_schema(
        request=NotificationReadApi.InputSerializer, responses={200: OutputSerializer}, tags=["notifications"]
    )
    def post(self, request: Request) -> Response:
        NotificationReadApi.InputSerializer(data=request.data or {}).is_valid(raise_exception=True)
        updated = services.notification_mark_all_read(user=request.user)
        return Response(self.OutputSerializer({"updated": updated}).data)


class NotificationPreferencesApi(APIView):
    """Per category and channel. Account and emergency messages cannot be switched off (400 ``cannot_disable``)."""

    @extend_schema(responses={200: PreferencesSerializer}, tags=["notifications"])
    def get(self, request: Request) -> Response:
        return Response({"preferences": selectors.preferences_get(user=request.user)})

    @extend_schema(request=PreferencesSerializer, responses={200: PreferencesSerializer}, tags=["notifications"])
    def patch(self, request: Request) -> Response:
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preferences = preference_services.preferences_update(
            user=request.user, changes=data.validated_data["preferences"], actor=request.user
        )
        return Response({"preferences": preferences})


class NotificationUnsubscribeApi(APIView):
    """One-click unsubscribe (RFC 8058): the signed token from the email is the only credential.

    Mail clients POST ``List-Unsubscribe=One-Click`` (form-encoded) to the
    ``List-Unsubscribe`` URL, which carries the token in its query; the app's
    unsubscribe page may send ``{"token": …}`` as JSON instead.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser]

    @extend_schema_serializer(component_name="UnsubscribeInput")
    class InputSerializer(serializers.Serializer):
        token = serializers.CharField(required=False, max_length=500)

    @extend_schema_serializer(component_name="Unsubscribed")
    class OutputSerializer(serializers.Serializer):
        unsubscribed = serializers.BooleanField()
        category = serializers.ChoiceField(choices=[c.value for c in Category])

    @extend_schema(
        parameters=[OpenApiParameter("token", str, required=False, description="From the List-Unsubscribe URL.")],
        request=InputSerializer,
        responses={200: OutputSerializer},
        tags=["notifications"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        body = request.data if hasattr(request.data, "get") else {}
        data = self.InputSerializer(data={"token": request.query_params.get("token") or body.get("token") or ""})
        data.is_valid(raise_exception=True)
        category = preference_services.preferences_unsubscribe(token=data.validated_data.get("token", ""))
        return Response(self.OutputSerializer({"unsubscribed": True, "category": category}).data)


urlpatterns = [
    path("notifications", NotificationListApi.as_view(), name="notifications"),
    path("notifications/preferences", NotificationPreferencesApi.as_view(), name="notification-preferences"),
    path("notifications/read-all", NotificationReadAllApi.as_view(), name="notifications-read-all"),
    path("notifications/unsubscribe", NotificationUnsubscribeApi.as_view(), name="notifications-unsubscribe"),
    path("notifications/<uuid:notification_id>/read", NotificationReadApi.as_view(), name="notification-read"),
]
