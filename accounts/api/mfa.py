"""Two-step sign-in: TOTP enrolment, backup codes, and the second step of login.

Every endpoint that takes a code uses the ``otp`` throttle scope; the lockout
(account + address) is the services' business.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.validators import RegexValidator
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.security import sign_in_change_authorize_request
from accounts.api.serializers import TokenPairSerializer, typed_code
from accounts.models import User
from accounts.services import mfa as services
from guardiannest.api.net import client_of
from guardiannest.api.serializers import StrictSerializer

TOTP_INPUT = f"^{typed_code('[0-9]', 6)}$"
_BACKUP_CHARACTERS = f"[{services.BACKUP_CODE_ALPHABET}{services.BACKUP_CODE_ALPHABET.upper()}]"
MFA_INPUT = f"^(?:{typed_code('[0-9]', 6)}|{typed_code(_BACKUP_CHARACTERS, services.BACKUP_CODE_LENGTH)})$"


class TotpCodeField(serializers.CharField):
    """Six digits from the authenticator app; the spaces people type are dropped."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("help_text", services.TOTP_CODE_HELP)
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(TOTP_INPUT))  # the rule of to_internal_value, for the schema

    def to_internal_value(self, data: Any) -> str:
        code = services.totp_code_clean(super().to_internal_value(data))
        if code is None:
            raise serializers.ValidationError(services.TOTP_CODE_HELP)
        return code


class MfaCodeField(serializers.CharField):
    """A TOTP code or a backup code (``abcde-fghjk``), spaces and dashes as typed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("help_text", services.ANY_CODE_HELP)
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(MFA_INPUT))  # the rule of to_internal_value, for the schema

    def to_internal_value(self, data: Any) -> str:
        cleaned = services.mfa_code_clean(super().to_internal_value(data))
        if cleaned is None:
            raise serializers.ValidationError(services.ANY_CODE_HELP)
        return cleaned[1]


@extend_schema_serializer(component_name="BackupCodes")
class BackupCodesOutputSerializer(serializers.Serializer):
    backup_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Shown once; each signs in once. Stored only hashed."
    )


class MfaTotpSetupApi(APIView):
    """Start enrolment; a repeated call replaces the unconfirmed secret. 409 when MFA is already on."""

    class InputSerializer(StrictSerializer):
        pass

    @extend_schema_serializer(component_name="TotpSetup")
    class OutputSerializer(serializers.Serializer):
        secret = serializers.CharField(help_text="Base32, for typing into the app by hand.")
        otpauth_uri = serializers.CharField()
        qr_svg = serializers.CharField(help_text="An SVG image of the otpauth URI.")

    @extend_schema(request=None, responses={200: OutputSerializer}, tags=["mfa"])
    def post(self, request: Request) -> Response:
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        sign_in_change_authorize_request(request)
        setup = services.mfa_totp_setup(user=cast(User, request.user))
        return Response(self.OutputSerializer(setup).data)


class MfaTotpConfirmApi(APIView):
    """The first code from the app turns MFA on; the answer carries the 10 backup codes."""

    throttle_scope = "otp"

    @extend_schema_serializer(component_name="TotpConfirmInput")
    class InputSerializer(StrictSerializer):
        code = TotpCodeField()

    @extend_schema(request=InputSerializer, responses={200: BackupCodesOutputSerializer}, tags=["mfa"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = cast(User, request.user)
        sign_in_change_authorize_request(request)
        codes = services.mfa_totp_confirm(client=client_of(request), user=user, **data.validated_data)
        return Response(BackupCodesOutputSerializer({"backup_codes": codes}).data)


class MfaTotpDisableApi(APIView):
    """MFA off: the password and a current code (a backup code too, for a lost phone)."""

    throttle_scope = "otp"

    @extend_schema_serializer(component_name="TotpDisableInput")
    class InputSerializer(StrictSerializer):
        password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
        code = MfaCodeField()

    @extend_schema(request=InputSerializer, responses={204: None}, tags=["mfa"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.mfa_totp_disable(client=client_of(request), user=cast(User, request.user), **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MfaBackupCodesRegenerateApi(APIView):
    """A new set of backup codes for a current TOTP code; the old set stops working."""

    throttle_scope = "otp"

    @extend_schema_serializer(component_name="BackupCodesRegenerateInput")
    class InputSerializer(StrictSerializer):
        code = TotpCodeField()

    @extend_schema(request=InputSerializer, responses={200: BackupCodesOutputSerializer}, tags=["mfa"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        codes = services.mfa_backup_codes_regenerate(
            client=client_of(request), user=cast(User, request.user), **data.validated_data
        )
        return Response(BackupCodesOutputSerializer({"backup_codes": codes}).data)


class LoginMfaApi(APIView):
    """Second step of sign-in: the ``mfa_token`` from ``auth/login`` and a code. Public by contract:
    the single-use token, bound to the address the password came from, is the credential."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_scope = "otp"

    @extend_schema_serializer(component_name="LoginMfaInput")
    class InputSerializer(StrictSerializer):
        mfa_token = serializers.CharField(max_length=128)
        code = MfaCodeField()

    @extend_schema(request=InputSerializer, responses={200: TokenPairSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.user_login_mfa(client=client_of(request), **data.validated_data))


urlpatterns = [
    path("auth/login/mfa", LoginMfaApi.as_view(), name="login-mfa"),
    path("auth/mfa/totp/setup", MfaTotpSetupApi.as_view(), name="mfa-totp-setup"),
    path("auth/mfa/totp/confirm", MfaTotpConfirmApi.as_view(), name="mfa-totp-confirm"),
    path("auth/mfa/totp/disable", MfaTotpDisableApi.as_view(), name="mfa-totp-disable"),
    path("auth/mfa/backup-codes", MfaBackupCodesRegenerateApi.as_view(), name="mfa-backup-codes"),
]
