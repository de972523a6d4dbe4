"""API of email verification and passwords (reset, change)."""

from __future__ import annotations

from typing import Any, cast

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.services import passwords, verification
from accounts.services.sessions import SESSION_CLAIM
from guardiannest.api.net import client_of
from guardiannest.api.serializers import StrictSerializer

RESET_ACCEPTED = "If an account uses this address, a link to reset its password is on its way."


def _password_field() -> serializers.CharField:
    return serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})


def _token_field() -> serializers.CharField:
    return serializers.CharField(max_length=verification.TOKEN_MAX_LENGTH, trim_whitespace=True)


@extend_schema_serializer(component_name="PasswordChangeResult")
class PasswordResultSerializer(serializers.Serializer):
    detail = serializers.CharField()
    sessions_ended = serializers.IntegerField(help_text="Signed-in devices that were signed out.")


class EmailVerifyApi(APIView):
    """Public: the link from the sign-up email proves the address; each link works once."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="EmailVerifyInput")
    class InputSerializer(StrictSerializer):
        token = _token_field()

    @extend_schema_serializer(component_name="EmailVerifyOutput")
    class OutputSerializer(serializers.Serializer):
        email_verified = serializers.BooleanField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verification.email_verify(token=data.validated_data["token"])
        return Response(self.OutputSerializer({"email_verified": True}).data)


class PasswordResetApi(APIView):
    """Public: 202 whatever the address, so the answer says nothing about who has an account."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_scope = "reset"

    @extend_schema_serializer(component_name="PasswordResetInput")
    class InputSerializer(StrictSerializer):
        email = serializers.EmailField(max_length=254)

    @extend_schema_serializer(component_name="PasswordResetAccepted")
    class OutputSerializer(serializers.Serializer):
        detail = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        passwords.password_reset_request(email=data.validated_data["email"])
        return Response(self.OutputSerializer({"detail": RESET_ACCEPTED}).data, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(APIView):
    """Public: a reset link sets a new password, signs out every device and signs nobody in."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_scope = "reset"

    @extend_schema_serializer(component_name="PasswordResetConfirmInput")
    class InputSerializer(StrictSerializer):
        token = _token_field()
        password = _password_field()

    @extend_schema(request=InputSerializer, responses={200: PasswordResultSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = passwords.password_reset_confirm(client=client_of(request), **data.validated_data)
        body = {"detail": "Your password was reset. Sign in with it.", "sessions_ended": result.sessions_ended}
        return Response(PasswordResultSerializer(body).data)


class PasswordChangeApi(APIView):
    """The signed-in user changes their password; this device stays signed in, the others do not."""

    @extend_schema_serializer(component_name="PasswordChangeInput")
    class InputSerializer(StrictSerializer):
        old_password = _password_field()
        new_password = _password_field()

    @extend_schema(request=InputSerializer, responses={200: PasswordResultSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = request.auth
        current = token.get(SESSION_CLAIM) if token is not None and hasattr(token, "get") else None
        result = passwords.password_change(
            client=client_of(request),
            user=cast(User, request.user),
            keep_session=str(current) if current else None,
            **data.validated_data,
        )
        body = {"detail": "Your password was changed.", "sessions_ended": result.sessions_ended}
        return Response(PasswordResultSerializer(body).data)


urlpatterns = [
    path("auth/verify-email", EmailVerifyApi.as_view(), name="verify-email"),
    path("auth/password/reset", PasswordResetApi.as_view(), name="password-reset"),
    path("auth/password/reset/confirm", PasswordResetConfirmApi.as_view(), name="password-reset-confirm"),
    path("auth/password/change", PasswordChangeApi.as_view(), name="password-change"),
]
