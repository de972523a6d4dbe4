from __future__ import annotations

import re
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers
from rest_framework.fields import empty

from accounts.models import Role, User
from guardiannest.api.serializers import CleanTextField, StrictInputMixin, StrictSerializer

PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}$")
# What a client may send (the schema's pattern): E.164 with the spaces people type (blank where allowed,
# which the schema adds as its own alternative). No maxLength: the pattern bounds the digits.
PHONE_INPUT = r"^\s*\+ *[1-9]( *[0-9]){6,14}\s*$"


def typed_code(characters: str, length: int, separators: str = r"\s-") -> str:
    """``length`` of ``characters`` with the ``separators`` people type between them (a schema's pattern).

    No whitespace at the ends: the server trims it before it counts ``max_length``, so a pattern
    allowing it would promise a refusal of what the server takes.
    """
    return rf"-*{characters}(?:[{separators}]*{characters}){{{length - 1}}}-*"


class PhoneField(serializers.CharField):
    """E.164, stored without the spaces people type.

    The normalising happens here and not in a validator: DRF ignores what a
    validator returns, so ``+44 20 7946 0958`` used to be stored as typed.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)
        # Checked in to_internal_value; the validator (which passes every normalised number) puts the
        # rule in the schema as a pattern.
        self.validators.append(RegexValidator(PHONE_INPUT))

    def run_validation(self, data: Any = empty) -> Any:
        if isinstance(data, str) and data and not data.strip():
            self.fail("blank")  # blank is "", as the schema says; "   " is no number
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data).replace(" ", "")
        if value and not PHONE_RE.match(value):
            raise serializers.ValidationError("Use the international format, e.g. +14155550100.")
        return value


class LoginSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class MfaChallengeSerializer(serializers.Serializer):
    """A right password with MFA on: finish with ``POST auth/login/mfa`` within five minutes."""

    mfa_required = serializers.BooleanField()
    mfa_token = serializers.CharField(help_text="Opaque and single use; not a bearer token.")
    methods = serializers.ListField(child=serializers.ChoiceField(choices=["totp", "backup_code"]))


class RegisterInputSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
    role = serializers.ChoiceField(choices=[Role.PARENT.value, Role.SITTER.value])
    first_name = CleanTextField(max_length=100, multiline=False)
    last_name = CleanTextField(max_length=100, multiline=False)
    phone = PhoneField()


class RegisterOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "role"]


class RefreshSerializer(StrictSerializer):
    refresh = serializers.CharField(max_length=2048)


class MeSerializer(StrictInputMixin, serializers.ModelSerializer):
    email_verified = serializers.BooleanField(read_only=True)
    mfa_enabled = serializers.BooleanField(read_only=True)
    phone = PhoneField()
    first_name = CleanTextField(max_length=100, multiline=False, required=False)
    last_name = CleanTextField(max_length=100, multiline=False, required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "role",
            "first_name",
            "last_name",
            "phone",
            "email_verified",
            "mfa_enabled",
            "is_staff",
        ]
        read_only_fields = ["id", "email", "role", "is_staff"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("first_name", "last_name"):
            if name in attrs and not attrs[name].strip():
                raise serializers.ValidationError({name: ["This field may not be blank."]})
        return attrs
