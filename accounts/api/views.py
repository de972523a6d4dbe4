"""Thin DRF layer over the account services."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as s
from accounts.models import User
from accounts.services import auth as services
from guardiannest.api.net import client_of


class RegisterApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_scope = "register"

    @extend_schema(request=s.RegisterInputSerializer, responses={201: s.RegisterOutputSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = s.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(s.RegisterOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema(
        request=s.LoginSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="LoginResult",
                serializers=[s.TokenPairSerializer, s.MfaChallengeSerializer],
                resource_type_field_name=None,
            )
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        """A token pair, or with MFA on the challenge to answer at ``auth/login/mfa``."""
        data = s.LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.user_login(client=client_of(request), **data.validated_data)
        return Response(result)


class TokenRefreshApi(APIView):
    """Rotate: the old refresh token dies, a new pair comes back."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema(request=s.RefreshSerializer, responses={200: s.TokenPairSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = s.RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.token_refresh(refresh=data.validated_data["refresh"], client=client_of(request)))


class LogoutApi(APIView):
    @extend_schema(request=s.RefreshSerializer, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = s.RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_logout(user=cast(User, request.user), refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


def me_representation(user: User) -> dict[str, Any]:
    """What ``auth/me`` answers (MeSerializer's fields), built directly: this is the
    hottest authenticated read, and a ModelSerializer rebuilds its fields per call."""
    return {
        "id": str(user.pk),
        "email": user.email,
        "role": user.role,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "email_verified": user.email_verified,
        "mfa_enabled": user.mfa_enabled,
        "is_staff": user.is_staff,
    }


class MeApi(APIView):
    @extend_schema(responses={200: s.MeSerializer}, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(me_representation(cast(User, request.user)))

    @extend_schema(request=s.MeSerializer, responses={200: s.MeSerializer}, tags=["auth"])
    def patch(self, request: Request) -> Response:
        user = cast(User, request.user)
        data = s.MeSerializer(user, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=user, actor=user, data=data.validated_data)
        return Response(s.MeSerializer(user).data)
