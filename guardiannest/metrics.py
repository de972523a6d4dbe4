"""``/metrics`` for Prometheus: staff, or a scraper holding METRICS_TOKEN; nobody else."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import generate_latest

from guardiannest.api.errors import not_found
from guardiannest.observability import SCRAPE_REGISTRY


def _token_ok(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if not expected or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").encode(), expected.encode())


def metrics(request: HttpRequest) -> HttpResponse:
    user = getattr(request, "user", None)
    if _token_ok(request) or (user is not None and user.is_authenticated and user.is_staff):
        response = ExportToDjangoView(request)
        # Figures every process shares (queue lengths, task outcomes), read from the broker now.
        response.content = response.content + generate_latest(SCRAPE_REGISTRY)
        return response
    # Not public: answer as if there were nothing here.
    return not_found(request)
