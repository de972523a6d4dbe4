"""``POST payments/webhooks/stripe``: Stripe's signed events (API.md, Payments; STYLE.md, habit 7).

Open to anyone: the ``Stripe-Signature`` over the raw body (checked with a
300 s tolerance) is the credential. A bad, missing or stale signature is 400;
a verified event answers 200 whether it was new, a repeat (nothing done) or
of a type we do not act on. A provider outage while re-reading the object is
503, and Stripe sends the event again later.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guardiannest.api.serializers import StrictSerializer
from guardiannest.errors import ApplicationError
from payments.api.common import TAGS
from payments.errors import PaymentError
from payments.providers import payment_provider
from payments.providers.base import SignatureInvalid
from payments.services.webhooks import provider_event_process


@extend_schema_serializer(component_name="WebhookReceipt")
class ReceiptSerializer(StrictSerializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField(help_text="This event id was processed before; nothing was done again.")


class StripeWebhookApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []  # Stripe sends bursts; the signature keeps others out

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("Stripe-Signature", str, OpenApiParameter.HEADER, required=False)],
        responses={200: ReceiptSerializer},
        auth=[],
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        payload = request.body  # the raw bytes the signature covers; never parsed before it is checked
        try:
            event = payment_provider().event_verify(
                payload=payload, signature=request.headers.get("Stripe-Signature", "")
            )
        except SignatureInvalid as exc:
            raise ApplicationError(PaymentError.WEBHOOK_SIGNATURE_INVALID, "The signature does not verify.") from exc
        new = provider_event_process(event=event)
        return Response(ReceiptSerializer({"received": True, "duplicate": not new}).data)


urlpatterns = [
    path("payments/webhooks/stripe", StripeWebhookApi.as_view(), name="webhook-stripe"),
]
