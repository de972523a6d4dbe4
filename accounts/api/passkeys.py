"""Passkeys: register a device's key, sign in with it, list and revoke.

The two sign-in steps are public (the passkey is the credential) and share
the ``login`` throttle; the rest need a signed-in user.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.security import sign_in_change_authorize_request
from accounts.api.serializers import TokenPairSerializer
from accounts.models import Passkey, User
from accounts.selectors.passkeys import passkey_get_for_user, passkey_list_for_user
from accounts.services import passkeys as services
from guardiannest.api.net import client_of
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import StrictSerializer

CREDENTIAL_HELP = "The PublicKeyCredential as JSON (PublicKeyCredential.toJSON(), binary fields base64url)."


@extend_schema_serializer(component_name="Passkey")
class PasskeyOutputSerializer(serializers.ModelSerializer[Passkey]):
    class Meta:
        model = Passkey
        fields = ["id", "name", "created_at", "last_used_at"]


class PasskeyRegisterOptionsApi(APIView):
    """Start registering a passkey for the signed-in user."""

    @extend_schema_serializer(component_name="PasskeyRegisterOptionsInput")
    class InputSerializer(StrictSerializer):
        pass

    @extend_schema(
        request=None,
        responses={200: OpenApiTypes.OBJECT},
        tags=["auth"],
        description="PublicKeyCredentialCreationOptions JSON for navigator.credentials.create().",
    )
    def post(self, request: Request) -> Response:
        self.InputSerializer(data=request.data or {}).is_valid(raise_exception=True)
        sign_in_change_authorize_request(request)
        return Response(services.passkey_register_options(user=cast(User, request.user)))


class PasskeyRegisterVerifyApi(APIView):
    @extend_schema_serializer(component_name="PasskeyRegisterVerifyInput")
    class InputSerializer(StrictSerializer):
        credential = serializers.DictField(help_text=CREDENTIAL_HELP)
        name = serializers.CharField(max_length=services.NAME_MAX_LENGTH)

    @extend_schema(request=InputSerializer, responses={201: PasskeyOutputSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sign_in_change_authorize_request(request)
        passkey = services.passkey_register(user=cast(User, request.user), **data.validated_data)
        return Response(PasskeyOutputSerializer(passkey).data, status=status.HTTP_201_CREATED)


class PasskeyLoginOptionsApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema_serializer(component_name="PasskeyLoginOptionsInput")
    class InputSerializer(StrictSerializer):
        email = serializers.EmailField(max_length=254, required=False, allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses={200: OpenApiTypes.OBJECT},
        tags=["auth"],
        description="PublicKeyCredentialRequestOptions JSON for navigator.credentials.get().",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        return Response(services.passkey_login_options(email=data.validated_data.get("email") or None))


class PasskeyLoginVerifyApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema_serializer(component_name="PasskeyLoginVerifyInput")
    class InputSerializer(StrictSerializer):
        credential = serializers.DictField(help_text=CREDENTIAL_HELP)

    @extend_schema(request=InputSerializer, responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.passkey_login(client=client_of(request), **data.validated_data))


class PasskeyListApi(APIView):
    class Pagination(CursorPagination):
        ordering = "-created_at"

    pagination_class = Pagination

    @extend_schema(responses={200: PasskeyOutputSerializer(many=True)}, tags=["auth"])
    def get(self, request: Request) -> Response:
        paginator = self.Pagination()
        passkeys = passkey_list_for_user(user=cast(User, request.user))
        page = paginator.paginate_queryset(passkeys, request, view=self)
        return paginator.get_paginated_response(PasskeyOutputSerializer(page, many=True).data)


class PasskeyDetailApi(APIView):
    @extend_schema(responses={204: None}, tags=["auth"])
    def delete(self, request: Request, passkey_id: UUID) -> Response:
        user = cast(User, request.user)
        passkey = passkey_get_for_user(passkey_id=passkey_id, user=user)
        sign_in_change_authorize_request(request)
        services.passkey_revoke(passkey=passkey, actor=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern] = [
    path("auth/passkeys", PasskeyListApi.as_view(), name="passkeys"),
    path("auth/passkeys/<uuid:passkey_id>", PasskeyDetailApi.as_view(), name="passkey-detail"),
    path("auth/passkeys/register/options", PasskeyRegisterOptionsApi.as_view(), name="passkey-register-options"),
    path("auth/passkeys/register/verify", PasskeyRegisterVerifyApi.as_view(), name="passkey-register-verify"),
    path("auth/passkeys/login/options", PasskeyLoginOptionsApi.as_view(), name="passkey-login-options"),
    path("auth/passkeys/login/verify", PasskeyLoginVerifyApi.as_view(), name="passkey-login-verify"),
]
