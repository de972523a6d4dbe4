"""Saved cards: ``POST payments/methods/setup`` · ``GET payments/methods`` · ``DELETE payments/methods/{id}``.

Parents only (403 for anyone else). Setup answers a SetupIntent's client
secret, which the app confirms with Stripe.js; the card appears in the list
once the provider reports it. Another parent's card is 404.
"""

from __future__ import annotations

from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import StrictSerializer
from payments import selectors, services
from payments.api.common import TAGS, IsParent, caller


class ParentApi(APIView):
    permission_classes = [IsAuthenticated, IsParent]


@extend_schema_serializer(component_name="PaymentMethodSetup")
class SetupOutputSerializer(StrictSerializer):
    client_secret = serializers.CharField(help_text="Confirm it with Stripe.js to save a card for later payments.")


@extend_schema_serializer(component_name="PaymentMethod")
class MethodSerializer(StrictSerializer):
    id = serializers.UUIDField()
    brand = serializers.CharField()
    last4 = serializers.CharField()
    exp_month = serializers.IntegerField(allow_null=True)
    exp_year = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class PaymentMethodSetupApi(ParentApi):
    @extend_schema(request=None, responses={200: SetupOutputSerializer}, tags=TAGS)
    def post(self, request: Request) -> Response:
        session = services.payment_method_setup(parent=caller(request))
        return Response(SetupOutputSerializer({"client_secret": session.client_secret}).data)


class PaymentMethodListApi(ParentApi):
    pagination_class = CursorPagination  # also tells the schema the list is paginated

    @extend_schema(responses={200: MethodSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        methods = selectors.payment_method_list_for_parent(parent=caller(request))
        page = paginator.paginate_queryset(methods, request, self)
        return paginator.get_paginated_response(MethodSerializer(page, many=True).data)


class PaymentMethodDetailApi(ParentApi):
    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request: Request, method_id: UUID) -> Response:
        parent = caller(request)
        method = selectors.payment_method_get_for_parent(method_id=method_id, parent=parent)
        services.payment_method_remove(method=method, actor=parent)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("payments/methods/setup", PaymentMethodSetupApi.as_view(), name="method-setup"),
    path("payments/methods", PaymentMethodListApi.as_view(), name="methods"),
    path("payments/methods/<uuid:method_id>", PaymentMethodDetailApi.as_view(), name="method-detail"),
]
