"""Sitter payouts: ``POST payments/payouts/onboarding`` · ``GET payments/payouts/balance``.

Sitters only (403 for anyone else, before anything is looked up). Onboarding
answers 200 with a single-use link to the provider's hosted onboarding (API.md:
a step that hands out a URL answers 200); the first call also creates the
sitter's connected account. The balance is Money in the platform currency:
``available`` is what the provider pays out next, ``pending`` what it is still
settling plus the earnings not yet transferred (until onboarding completes).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import role_permission
from accounts.models import Role
from guardiannest.api.serializers import StrictSerializer
from guardiannest.money import money
from payments import services
from payments.api.common import TAGS, PaymentMoneySerializer, caller

IsSitter = role_permission(Role.SITTER, "Only sitters are paid out.")


class SitterApi(APIView):
    permission_classes = [IsAuthenticated, IsSitter]


@extend_schema_serializer(component_name="PayoutOnboarding")
class OnboardingOutputSerializer(StrictSerializer):
    url = serializers.URLField(help_text="Open it in a browser once: the provider's onboarding for this sitter.")
    onboarding_complete = serializers.BooleanField(help_text="True once the provider can pay the sitter out.")


@extend_schema_serializer(component_name="PayoutBalance")
class BalanceOutputSerializer(StrictSerializer):
    available = PaymentMoneySerializer(help_text="On the sitter's payout account, paid out next.")
    pending = PaymentMoneySerializer(
        help_text="Still settling at the provider, plus earnings not yet transferred (e.g. until onboarding is done)."
    )


class PayoutOnboardingApi(SitterApi):
    @extend_schema(request=None, responses={200: OnboardingOutputSerializer}, tags=TAGS)
    def post(self, request: Request) -> Response:
        link = services.payout_onboarding_link(sitter=caller(request))
        return Response(
            OnboardingOutputSerializer({"url": link.url, "onboarding_complete": link.onboarding_complete}).data
        )


class PayoutBalanceApi(SitterApi):
    @extend_schema(responses={200: BalanceOutputSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        balance = services.payout_balance_fetch(sitter=caller(request))
        currency = settings.PLATFORM_CURRENCY
        data = {"available": money(balance.available, currency), "pending": money(balance.pending, currency)}
        return Response(BalanceOutputSerializer(data).data)


urlpatterns = [
    path("payments/payouts/onboarding", PayoutOnboardingApi.as_view(), name="payout-onboarding"),
    path("payments/payouts/balance", PayoutBalanceApi.as_view(), name="payout-balance"),
]
