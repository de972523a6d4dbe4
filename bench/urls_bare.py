"""Bench-only URLconf: one bare DRF APIView returning a small JSON object."""

from typing import Any

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

BARE_PATH = "/bench/bare"
# The same view under the API prefix, where the API's middleware (CORS, no-store) act on it.
API_BARE_PATH = "/api/v1/bench/bare"


class BareApi(APIView):
    """DRF's own cost: request wrapping, content negotiation, JSON rendering; nothing else."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


urlpatterns = [
    path(BARE_PATH.lstrip("/"), BareApi.as_view(), name="bench-bare"),
    path(API_BARE_PATH.lstrip("/"), BareApi.as_view(), name="bench-api-bare"),
]
