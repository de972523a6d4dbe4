"""Pieces every payments API module uses: who may call, and Money on the wire."""

from __future__ import annotations

from typing import cast

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request

from accounts.api.permissions import role_permission
from accounts.models import Role, User
from payments.models import MAX_AMOUNT
from sitters.api.common import MoneySerializer

TAGS = ["payments"]
IsParent = role_permission(Role.PARENT, "Only parents save cards.")


def caller(request: Request) -> User:
    return cast(User, request.user)


@extend_schema_serializer(component_name="PaymentMoney")
class PaymentMoneySerializer(MoneySerializer):
    """Money (API.md): integer minor units in the platform currency, up to what one payment may hold.

    The currency rule is Money's own (another currency is refused, not converted).
    """

    amount = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT)
