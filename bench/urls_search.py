"""Bench-only URLconf for bench/search.py: the whole app plus an authenticated no-op view.

The no-op view is the search endpoint's floor: the same middleware (it sits
under /api/v1, where the API's middleware act), the same JWT authentication,
permission and throttles (DRF's defaults, as the search view), the same JSON
renderer and an empty list page; no query beyond the authentication's.
"""

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guardiannest.urls import urlpatterns as app_urlpatterns

NOOP_PATH = "/api/v1/bench/noop"


class BenchNoopApi(APIView):
    """Authenticated, throttled like every API view; answers an empty list page."""

    def get(self, request: Request) -> Response:
        return Response({"results": [], "next": None, "previous": None})


urlpatterns = [
    path(NOOP_PATH.lstrip("/"), BenchNoopApi.as_view(), name="bench-noop"),
    *app_urlpatterns,
]
