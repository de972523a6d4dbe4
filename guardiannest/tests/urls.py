"""Test-only routes: views that exercise the API conventions (mounted with ``pytest.mark.urls``)."""

from __future__ import annotations

import threading
import time
from typing import Any

from django.urls import include, path
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from guardiannest.api.idempotency import idempotent
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.parsers import FormParser, JSONParser
from guardiannest.api.serializers import StrictSerializer
from guardiannest.errors import ApplicationError, ErrorCodes

calls = {"count": 0}
_lock = threading.Lock()


class ThingError(ErrorCodes):
    CONFLICT = "thing_conflict"


class ThingInput(StrictSerializer):
    email = serializers.EmailField()
    delay = serializers.FloatField(required=False, default=0)
    fail = serializers.ChoiceField(choices=["", "conflict", "crash"], required=False, default="")


class CreateThingApi(APIView):
    """Creates a user per call, so a test can count how often the operation ran."""

    @idempotent
    def post(self, request: Request) -> Response:
        data = ThingInput(data=request.data)
        data.is_valid(raise_exception=True)
        with _lock:
            calls["count"] += 1
        time.sleep(data.validated_data["delay"])
        if data.validated_data["fail"] == "conflict":
            raise ApplicationError(ThingError.CONFLICT, "That thing is in the way.")
        if data.validated_data["fail"] == "crash":
            raise RuntimeError("boom")
        user = User.objects.create_user(data.validated_data["email"], "x" * 12, role=Role.PARENT)
        return Response({"id": user.pk, "email": user.email}, status=status.HTTP_201_CREATED)


class BoomApi(APIView):
    def get(self, request: Request) -> Response:
        raise RuntimeError("secret internals /etc/passwd")


class LeakyApi(APIView):
    """Fails holding personal data in its locals and its message (what Sentry must never receive)."""

    authentication_classes = ()
    permission_classes = ()

    def post(self, request: Request) -> Response:
        email = request.data.get("email", "")
        password = request.data.get("password", "")
        api_token = request.headers.get("Authorization", "")
        raise ValueError(
            f"could not sign in {email} with {password!r} ({api_token}) from {request.META['REMOTE_ADDR']}"
        )


class NestedInput(StrictSerializer):
    class Child(serializers.Serializer):
        name = serializers.CharField()

    children = Child(many=True)
    age = serializers.IntegerField(min_value=0)


class NestedApi(APIView):
    def post(self, request: Request) -> Response:
        NestedInput(data=request.data).is_valid(raise_exception=True)
        return Response({})


class TypedInput(StrictSerializer):
    name = serializers.CharField(required=False)
    count = serializers.IntegerField(required=False)
    ratio = serializers.FloatField(required=False)
    on = serializers.BooleanField(required=False)


class TypedApi(APIView):
    parser_classes = [JSONParser, FormParser]

    def post(self, request: Request) -> Response:
        data = TypedInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


class EitherInput(StrictSerializer):
    """Exactly one of ``a`` and ``b``; at least one of ``c`` and ``d``, not blank."""

    a = serializers.CharField(required=False)
    b = serializers.CharField(required=False)
    c = serializers.CharField(required=False, allow_blank=True)
    d = serializers.CharField(required=False, allow_blank=True)

    one_of = ("a", "b")
    any_of = ("c", "d")


class EitherApi(APIView):
    def post(self, request: Request) -> Response:
        data = EitherInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


class UserListApi(APIView):
    class Pagination(CursorPagination):
        ordering = "-date_joined"
        page_size = 2

    def get(self, request: Request) -> Response:
        paginator = self.Pagination()
        page = paginator.paginate_queryset(User.objects.all(), request, view=self)
        return paginator.get_paginated_response([{"email": user.email} for user in page or []])


class ThrottledApi(APIView):
    throttle_scope = "test_scope"

    def get(self, request: Request, *args: Any) -> Response:
        return Response({"ok": True})


test_routes = [
    path("things", CreateThingApi.as_view()),
    path("boom", BoomApi.as_view()),
    path("leaky", LeakyApi.as_view()),
    path("nested", NestedApi.as_view()),
    path("typed", TypedApi.as_view()),
    path("either", EitherApi.as_view()),
    path("users", UserListApi.as_view()),
    path("throttled", ThrottledApi.as_view()),
]

urlpatterns = [
    path("api/v1/test/", include(test_routes)),
    path("", include("guardiannest.urls")),
]

from guardiannest.urls import handler400, handler403, handler404, handler500  # noqa: E402

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
