"""Pieces every sitters API module uses: the sitter permission and Money on the wire."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import Role
from guardiannest.api.serializers import StrictSerializer
from sitters.models.profile import MAX_HOURLY_RATE


class IsSitter(BasePermission):
    message = "Only sitters have a sitter profile."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.SITTER)


def money(amount: int | None, currency: str | None = None) -> dict[str, Any] | None:
    """API.md Money: ``{"amount": minor units, "currency": "eur"}``; None stays None."""
    if amount is None:
        return None
    return {"amount": amount, "currency": currency or settings.PLATFORM_CURRENCY}


@extend_schema_serializer(component_name="Money")
class MoneySerializer(StrictSerializer):
    """Integer minor units in the platform currency; another currency is refused, not converted."""

    amount = serializers.IntegerField(min_value=0, max_value=MAX_HOURLY_RATE)
    currency = serializers.CharField(min_length=3, max_length=3)

    def validate_currency(self, value: str) -> str:
        if value.lower() != settings.PLATFORM_CURRENCY:
            raise serializers.ValidationError(f"Prices are in {settings.PLATFORM_CURRENCY}.")
        return value.lower()
