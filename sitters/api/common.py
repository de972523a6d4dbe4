"""Pieces every sitters API module uses: the sitter permission and Money on the wire."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.api.permissions import role_permission
from accounts.models import Role
from guardiannest.api.serializers import StrictSerializer
from sitters.models.profile import MAX_HOURLY_RATE

IsSitter = role_permission(Role.SITTER, "Only sitters have a sitter profile.")


@extend_schema_serializer(component_name="Money")
class MoneySerializer(StrictSerializer):
    """Integer minor units in the platform currency; another currency is refused, not converted."""

    amount = serializers.IntegerField(min_value=0, max_value=MAX_HOURLY_RATE)
    currency = serializers.CharField(min_length=3, max_length=3)

    def validate_currency(self, value: str) -> str:
        if value.lower() != settings.PLATFORM_CURRENCY:
            raise serializers.ValidationError(f"Prices are in {settings.PLATFORM_CURRENCY}.")
        return value.lower()
