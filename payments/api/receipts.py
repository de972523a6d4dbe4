"""``GET payments/{id}/receipt?signature=…``: the printable receipt a signed link opens, without signing in.

The signature (:mod:`payments.receipts`) is the credential: the link in the
receipt email and in ``receipt_url`` of ``GET payments``. The page is HTML
with its own inline stylesheet, allowed by its hash in a strict
Content-Security-Policy (no scripts, no external assets, no framing). A
bad, expired or another payment's signature answers a plain HTML 404 page
carrying the problem's code and request id, exactly as for a missing payment.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.template.loader import render_to_string
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, StaticHTMLRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guardiannest.errors import ApplicationError
from guardiannest.middleware import current_request_id
from payments import selectors
from payments.api.common import TAGS
from payments.models import Payment
from payments.receipts import money_text

STYLE = """
body{margin:0;background:#f4f5f7;color:#1f2933;font:15px/1.5 Helvetica,Arial,sans-serif}
main{max-width:640px;margin:24px auto;background:#fff;padding:32px;border-radius:8px}
h1{margin:0 0 4px;font-size:22px;color:#2a6f97}
.muted{color:#616e7c;font-size:13px}
table{width:100%;border-collapse:collapse;margin:16px 0}
th,td{text-align:left;padding:6px 0;border-bottom:1px solid #e4e7eb;vertical-align:top}
td.amount,th.amount{text-align:right;white-space:nowrap}
tr.total td{font-weight:bold;border-bottom:none}
.print-hint{margin-top:24px}
@media print{body{background:#fff}main{margin:0;padding:0;max-width:none}.print-hint{display:none}}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class _Html(BaseContentNegotiation):
    """The receipt is a page: HTML whatever the client asks for (a browser's Accept varies)."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> Any:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def _page(template: str, context: dict[str, Any], status: int) -> Response:
    html = render_to_string(template, {"style": STYLE, **context})
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = CSP
    response["Referrer-Policy"] = "no-referrer"  # the link is the credential: never leak it onwards
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


def receipt_context(payment: Payment) -> dict[str, Any]:
    refunds = sorted(payment.refunds.all(), key=lambda refund: refund.created_at)
    currency = payment.currency
    card = payment.payment_method
    return {
        "payment": payment,
        "payer_name": payment.payer.get_full_name() or payment.payer.email,
        "payee_name": payment.payee.first_name or "your sitter",
        "card": f"{card.brand} •••• {card.last4}" if card else "",
        "captured": money_text(payment.captured_amount, currency),
        "fee": money_text(payment.fee_amount, currency),
        "refunds": [(refund.created_at, money_text(-refund.amount, currency)) for refund in refunds],
        "net": money_text(payment.captured_amount - payment.refunded_amount, currency),
    }


class PaymentReceiptApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    renderer_classes = [StaticHTMLRenderer]
    content_negotiation_class = _Html

    @extend_schema(
        parameters=[OpenApiParameter("signature", str, OpenApiParameter.QUERY, required=True)],
        responses={
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="The printable receipt page."),
            (404, "text/html"): OpenApiResponse(
                OpenApiTypes.STR, description="A bad or expired signature, or no receipt yet."
            ),
            # A path that is no payment id at all is no route: the API's problem+json 404.
            (404, "application/problem+json"): OpenApiResponse(OpenApiTypes.OBJECT, description="No such route."),
        },
        auth=[],
        tags=TAGS,
        description="The receipt a signed link (receipt_url, the receipt email) opens; no sign-in needed.",
    )
    def get(self, request: Request, payment_id: UUID) -> Response:
        try:
            payment = selectors.receipt_get_for_signature(
                payment_id=payment_id, signature=request.query_params.get("signature", "")
            )
        except ApplicationError as exc:
            problem = {"code": exc.code, "detail": exc.detail, "request_id": current_request_id()}
            return _page("payments/receipt_not_found.html", problem, 404)
        return _page("payments/receipt.html", receipt_context(payment), 200)


urlpatterns = [
    path("payments/<uuid:payment_id>/receipt", PaymentReceiptApi.as_view(), name="receipt"),
]
