"""API of Firebase sign-in: a Firebase ID token in, our token pair out; linking for signed-in users."""

from __future__ import annotations

from typing import Any, cast

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.security import sign_in_change_authorize_request
from accounts.api.serializers import MfaChallengeSerializer, TokenPairSerializer
from accounts.models import FirebaseIdentity, User
from accounts.services.firebase import firebase_identity_link, firebase_sign_in
from guardiannest.api.net import client_of
from guardiannest.api.serializers import StrictSerializer

# Firebase ID tokens are about 1 KB; anything far larger is not one.
ID_TOKEN_MAX_LENGTH = 8192
ID_TOKEN_HELP = "A Firebase Authentication ID token (getIdToken() in the Firebase SDKs)."


class FirebaseSignInApi(APIView):
    """Sign in with a Firebase ID token (Google, Apple … through Firebase Authentication).

    A Firebase account already linked signs in its user; a new one whose email
    has no account here gets a new parent account; a new one whose email
    already has an account answers 409 ``account_exists`` (sign in with the
    password, then link). Bad, expired, revoked or disabled tokens answer 401.
    With MFA on, the answer is the MFA challenge, finished at ``auth/login/mfa``.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema_serializer(component_name="FirebaseSignInInput")
    class InputSerializer(StrictSerializer):
        id_token = serializers.CharField(max_length=ID_TOKEN_MAX_LENGTH, help_text=ID_TOKEN_HELP)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="FirebaseSignInResult",
                serializers=[TokenPairSerializer, MfaChallengeSerializer],
                resource_type_field_name=None,
            ),
            400: OpenApiResponse(description="Invalid input, or the Firebase account has no email"),
            401: OpenApiResponse(description="The token is bad, expired or revoked, or the account is inactive"),
            403: OpenApiResponse(description="firebase_not_enabled: Firebase sign-in is switched off on this server"),
            409: OpenApiResponse(description="account_exists: sign in with the password, then link Firebase"),
            503: OpenApiResponse(description="firebase_unavailable: Firebase is set up but Google cannot be reached"),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(firebase_sign_in(client=client_of(request), id_token=data.validated_data["id_token"]))


class FirebaseLinkApi(APIView):
    """Link a Firebase account to the signed-in user, so it signs in here from now on."""

    throttle_scope = "login"

    @extend_schema_serializer(component_name="FirebaseLinkInput")
    class InputSerializer(StrictSerializer):
        id_token = serializers.CharField(max_length=ID_TOKEN_MAX_LENGTH, help_text=ID_TOKEN_HELP)

    @extend_schema_serializer(component_name="FirebaseIdentity")
    class OutputSerializer(serializers.ModelSerializer[FirebaseIdentity]):
        class Meta:
            model = FirebaseIdentity
            fields = ["id", "provider", "created_at", "last_used_at"]

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            400: OpenApiResponse(description="Invalid input or token"),
            403: OpenApiResponse(
                description="firebase_not_enabled: Firebase sign-in is switched off on this server; "
                "email_unverified / step_up_required: see auth/step-up"
            ),
            409: OpenApiResponse(description="firebase_already_linked: linked to another account"),
            503: OpenApiResponse(description="firebase_unavailable: Firebase is set up but Google cannot be reached"),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sign_in_change_authorize_request(request)
        identity, created = firebase_identity_link(
            user=cast(User, request.user), id_token=data.validated_data["id_token"]
        )
        return Response(
            self.OutputSerializer(identity).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


urlpatterns: list[URLPattern] = [
    path("auth/firebase", FirebaseSignInApi.as_view(), name="firebase"),
    path("auth/firebase/link", FirebaseLinkApi.as_view(), name="firebase-link"),
]
