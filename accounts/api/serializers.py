from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from accounts.models import Role, User
from guardiannest.api.serializers import StrictInputMixin, StrictSerializer

PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}$")


def validate_phone(value: str) -> str:
    value = value.replace(" ", "")
    if value and not PHONE_RE.match(value):
        raise serializers.ValidationError("Use the international format, e.g. +14155550100.")
    return value


class LoginSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})


class TokenPairSerializer(serializers.Serializer):  # type: ignore[type-arg]
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisterInputSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
    role = serializers.ChoiceField(choices=[Role.PARENT.value, Role.SITTER.value])
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, validators=[validate_phone])


class RegisterOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ["id", "email", "role"]


class RefreshSerializer(StrictSerializer):
    refresh = serializers.CharField(max_length=2048)


class MeSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    email_verified = serializers.BooleanField(read_only=True)
    mfa_enabled = serializers.BooleanField(read_only=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, validators=[validate_phone])

    class Meta:
        model = User
        fields = ["id", "email", "role", "first_name", "last_name", "phone", "email_verified", "mfa_enabled", "is_staff"]
        read_only_fields = ["id", "email", "role", "is_staff"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("first_name", "last_name"):
            if name in attrs and not attrs[name].strip():
                raise serializers.ValidationError({name: ["This field may not be blank."]})
        return attrs
