"""Payments: ``GET payments`` · ``GET payments/{id}`` · ``POST payments/{id}/refund`` (staff).

A parent sees the payments they made, a sitter the ones they are paid by
(their earnings, each with ``earning``, their share, and ``transfer_status``);
anyone else's is 404. The client secret is shown to the
payer only, while the bank asks them to authenticate. A refund is for staff
(403 otherwise), at most what is still captured (400), and honours
``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from guardiannest.api.idempotency import idempotent
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import StrictSerializer
from guardiannest.money import money
from payments import selectors, services
from payments.api.common import TAGS, PaymentMoneySerializer, caller
from payments.fees import platform_fee, sitter_share
from payments.models import Payment, PaymentStatus, TransferStatus
from payments.receipts import receipt_url


@extend_schema_serializer(component_name="Payment")
class PaymentSerializer(StrictSerializer):
    id = serializers.UUIDField()
    booking_id = serializers.CharField(help_text="The id of the booking paid for.")
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    amount = PaymentMoneySerializer(help_text="Authorised; what is captured may be less.")
    captured_amount = PaymentMoneySerializer()
    fee = PaymentMoneySerializer(help_text="The platform's fee: of the capture once captured, else as authorised.")
    refunded_amount = PaymentMoneySerializer()
    receipt_url = serializers.URLField(
        allow_null=True,
        help_text="To the payer: a signed link to the printable receipt (no sign-in); null until money is taken.",
    )
    client_secret = serializers.CharField(
        allow_null=True, help_text="To the payer only, while status is requires_action: confirm it with Stripe.js."
    )
    earning = PaymentMoneySerializer(
        allow_null=True,
        help_text="To the sitter only, once captured: their share (the capture less refunds and the platform fee).",
    )
    transfer_status = serializers.ChoiceField(
        choices=["accruing", *TransferStatus.values],
        allow_null=True,
        help_text="To the sitter only, once captured: accruing (until payout onboarding is done), paid, failed "
        "or reversed.",
    )
    created_at = serializers.DateTimeField()


def _earning(payment: Payment, viewer: User, captured: bool) -> tuple[dict[str, Any] | None, str | None]:
    """The payee's share and where its transfer is; nothing for anyone else, or before the capture."""
    if payment.payee_id != viewer.pk or not captured:
        return None, None
    share = sitter_share(captured=payment.captured_amount, fee=payment.fee_amount, refunded=payment.refunded_amount)
    transfer = getattr(payment, "transfer", None)
    return money(share, payment.currency), "accruing" if transfer is None else transfer.status


def payment_data(payment: Payment, viewer: User) -> dict[str, Any]:
    captured = payment.status in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
    show_secret = payment.payer_id == viewer.pk and payment.status == PaymentStatus.REQUIRES_ACTION
    earning, transfer_status = _earning(payment, viewer, captured)
    return {
        "id": payment.pk,
        "booking_id": payment.reference,
        "status": payment.status,
        "amount": money(payment.amount, payment.currency),
        "captured_amount": money(payment.captured_amount, payment.currency),
        "fee": money(payment.fee_amount if captured else platform_fee(payment.amount), payment.currency),
        "refunded_amount": money(payment.refunded_amount, payment.currency),
        "receipt_url": receipt_url(payment=payment) if payment.payer_id == viewer.pk else None,
        "client_secret": payment.client_secret if show_secret and payment.client_secret else None,
        "earning": earning,
        "transfer_status": transfer_status,
        "created_at": payment.created_at,
    }


class PaymentListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination

    @extend_schema(responses={200: PaymentSerializer(many=True)}, tags=TAGS)
    def get(self, request: Request) -> Response:
        user = caller(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.payment_list_for_user(user=user), request, self) or []
        return paginator.get_paginated_response(
            PaymentSerializer([payment_data(p, user) for p in page], many=True).data
        )


class PaymentDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: PaymentSerializer}, tags=TAGS)
    def get(self, request: Request, payment_id: UUID) -> Response:
        user = caller(request)
        payment = selectors.payment_get_for_user(payment_id=payment_id, user=user)
        return Response(PaymentSerializer(payment_data(payment, user)).data)


@extend_schema_serializer(component_name="PaymentRefundInput")
class RefundInputSerializer(StrictSerializer):
    amount = PaymentMoneySerializer(required=False, help_text="Omit to refund everything still captured.")


class PaymentRefundApi(APIView):
    permission_classes = [IsAuthenticated, IsAdminUser]

    @extend_schema(request=RefundInputSerializer, responses={200: PaymentSerializer}, tags=TAGS)
    @idempotent
    def post(self, request: Request, payment_id: UUID) -> Response:
        data = RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amount = data.validated_data.get("amount")
        staff = caller(request)
        payment = selectors.payment_get_for_staff(payment_id=payment_id)
        services.payment_refund(payment=payment, amount=amount["amount"] if amount else None, actor=staff)
        payment.refresh_from_db()
        return Response(PaymentSerializer(payment_data(payment, staff)).data)


urlpatterns = [
    path("payments", PaymentListApi.as_view(), name="list"),
    path("payments/<uuid:payment_id>", PaymentDetailApi.as_view(), name="detail"),
    path("payments/<uuid:payment_id>/refund", PaymentRefundApi.as_view(), name="refund"),
]
