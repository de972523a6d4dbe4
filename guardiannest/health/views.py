from __future__ import annotations

import resource
import sys
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guardiannest import stats
from guardiannest.api.authentication import JWTAuthentication
from guardiannest.health.checks import run_readiness, run_service_probes


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """The process is up. Touches nothing else, so a slow database never restarts it."""
    return JsonResponse({"status": "ok"})


def _is_staff(request: HttpRequest) -> bool:
    """A staff session (the admin) or a staff bearer token; a bad token is simply not staff."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return False
    try:
        authenticated = JWTAuthentication().authenticate(Request(request))
    except APIException:  # an expired, revoked or forged token: not staff, and readiness still answers
        return False
    return authenticated is not None and bool(authenticated[0].is_staff)


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """Each check by name, ok or failing. Only staff see timings and errors: an exception's text
    names database hosts and users, which is nobody else's business."""
    healthy, report = run_readiness()
    if not _is_staff(request):
        report = {name: {"status": check["status"]} for name, check in report.items()}
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": report}, status=200 if healthy else 503)


def _memory() -> dict[str, float | None]:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    current: float | None = None
    try:
        with open("/proc/self/status") as status_file:
            for line in status_file:
                if line.startswith("VmRSS:"):
                    current = int(line.split()[1]) / 1024
    except OSError:
        pass
    return {"rss_mb": round(current, 1) if current is not None else None, "peak_rss_mb": round(peak, 1)}


@method_decorator(never_cache, name="dispatch")
class ServicesHealthApi(APIView):
    """Staff: each external service configured / reachable / failing, and this process's figures."""

    authentication_classes = [JWTAuthentication, SessionAuthentication]
    permission_classes = [IsAdminUser]

    @extend_schema(
        responses={
            200: inline_serializer(
                "ServicesHealth",
                {
                    "services": serializers.DictField(child=serializers.DictField()),
                    "process": serializers.DictField(),
                },
            )
        },
        tags=["operations"],
    )
    def get(self, request: Request) -> Response:
        process: dict[str, Any] = {
            "memory": _memory(),
            "response_time_ms": stats.response_times.percentiles(50, 95, 99),
            "samples": len(stats.response_times),
        }
        return Response({"services": run_service_probes(), "process": process})
