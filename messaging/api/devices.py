"""API of the devices subdomain: push tokens, phone verification by SMS, and Twilio's status callback."""

from __future__ import annotations

import re
from typing import Any, cast
from uuid import UUID

from django.conf import settings
from django.core.validators import RegexValidator
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import PhoneField, typed_code
from accounts.models import User
from guardiannest.api.parsers import FormParser
from guardiannest.api.serializers import StrictSerializer
from messaging.models import Device
from messaging.models.devices import TOKEN_MAX_LENGTH
from messaging.providers.sms import twilio_signature_valid
from messaging.services import devices as device_services
from messaging.services import phone as phone_services
from messaging.services.sms_status import sms_status_record

# FCM registration tokens (and APNs device tokens in hex) are URL-safe text.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_:.\-]+$")
CODE_HELP = f"The {phone_services.CODE_DIGITS} digits from the SMS."


class DeviceRegisterApi(APIView):
    """Register this app installation for pushes. A token already known moves to the caller; no duplicate."""

    @extend_schema_serializer(component_name="DeviceRegisterInput")
    class InputSerializer(StrictSerializer):
        token = serializers.CharField(
            min_length=16,
            max_length=TOKEN_MAX_LENGTH,
            validators=[RegexValidator(TOKEN_RE, "Not a push registration token.")],
            help_text="The FCM registration token of this installation.",
        )
        platform = serializers.ChoiceField(choices=Device.Platform.choices)

    @extend_schema_serializer(component_name="Device")
    class OutputSerializer(serializers.ModelSerializer[Device]):
        class Meta:
            model = Device
            fields = ["id", "token", "platform", "created_at", "last_seen_at"]

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer}, tags=["devices"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = device_services.device_register(user=cast(User, request.user), **data.validated_data)
        return Response(self.OutputSerializer(device).data, status=status.HTTP_201_CREATED)


class DeviceDetailApi(APIView):
    @extend_schema(responses={204: None}, tags=["devices"])
    def delete(self, request: Request, device_id: UUID) -> Response:
        """Stop pushes to one of your devices (signing out of the app)."""
        device_services.device_delete(device_id=device_id, user=cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhoneVerificationStartApi(APIView):
    """Text a 6-digit code to a number; it stays valid 10 minutes. Limited per account and per number (429)."""

    throttle_scope = "sms"

    @extend_schema_serializer(component_name="PhoneVerificationInput")
    class InputSerializer(StrictSerializer):
        phone = PhoneField(required=True, allow_blank=False)

    @extend_schema_serializer(component_name="PhoneVerificationStarted")
    class OutputSerializer(serializers.Serializer):
        phone = serializers.CharField()
        expires_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer}, tags=["devices"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        started = phone_services.phone_verification_start(user=cast(User, request.user), **data.validated_data)
        return Response(self.OutputSerializer(started).data, status=status.HTTP_202_ACCEPTED)


class PhoneVerificationConfirmApi(APIView):
    """The code from the SMS: the number becomes the account's phone, verified. Five wrong codes end a code."""

    throttle_scope = "otp"

    @extend_schema_serializer(component_name="PhoneVerificationConfirmInput")
    class InputSerializer(StrictSerializer):
        code = serializers.CharField(
            max_length=16,
            help_text=CODE_HELP,
            validators=[RegexValidator(f"^{typed_code('[0-9]', phone_services.CODE_DIGITS, ' -')}$", CODE_HELP)],
        )

        def validate_code(self, value: str) -> str:
            code = value.replace(" ", "").replace("-", "")
            if not re.fullmatch(rf"\d{{{phone_services.CODE_DIGITS}}}", code):
                raise serializers.ValidationError(CODE_HELP)
            return code

    @extend_schema_serializer(component_name="PhoneVerified")
    class OutputSerializer(serializers.Serializer):
        phone = serializers.CharField()
        phone_verified = serializers.BooleanField()
        verified_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, tags=["devices"])
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verification = phone_services.phone_verification_confirm(user=cast(User, request.user), **data.validated_data)
        answer = {"phone": verification.phone, "phone_verified": True, "verified_at": verification.verified_at}
        return Response(self.OutputSerializer(answer).data)


class TwilioStatusCallbackApi(APIView):
    """Twilio's delivery reports for our SMS. No user signs in: X-Twilio-Signature over the public URL is the proof.

    The signature is checked against TWILIO_STATUS_CALLBACK_URL (the URL Twilio
    was given), not the URL this server sees, which differs behind a proxy. A
    bad or missing signature answers 403 and changes nothing. No throttle:
    Twilio reports from many addresses at its own pace, and a forged report
    costs one HMAC before it is refused.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []
    parser_classes = [FormParser]

    @extend_schema_serializer(component_name="TwilioStatusCallbackInput")
    class InputSerializer(serializers.Serializer):
        """The fields read; Twilio sends more (AccountSid, To, From, …), all covered by the signature."""

        MessageSid = serializers.CharField(max_length=64)
        MessageStatus = serializers.CharField(max_length=32)
        ErrorCode = serializers.CharField(max_length=16, required=False, allow_blank=True)

    @extend_schema(
        request={"application/x-www-form-urlencoded": InputSerializer},
        responses={204: None, 403: OpenApiResponse(description="Not signed by Twilio.")},
        auth=[],
        tags=["devices"],
    )
    def post(self, request: Request) -> Response:
        signature = request.META.get("HTTP_X_TWILIO_SIGNATURE", "")
        if not twilio_signature_valid(
            url=settings.TWILIO_STATUS_CALLBACK_URL, params=request.data, signature=signature
        ):
            raise PermissionDenied("The request is not signed by Twilio.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sms_status_record(
            message_sid=data.validated_data["MessageSid"],
            message_status=data.validated_data["MessageStatus"],
            error_code=data.validated_data.get("ErrorCode", ""),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("devices", DeviceRegisterApi.as_view(), name="devices"),
    path("devices/<uuid:device_id>", DeviceDetailApi.as_view(), name="device-detail"),
    path("phone/verification", PhoneVerificationStartApi.as_view(), name="phone-verification"),
    path("phone/verification/confirm", PhoneVerificationConfirmApi.as_view(), name="phone-verification-confirm"),
    path("messaging/twilio/status", TwilioStatusCallbackApi.as_view(), name="twilio-status"),
]
