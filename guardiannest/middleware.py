"""Cross-cutting HTTP middleware: request ids, slash-optional paths, private caching, timings."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from csp.middleware import CSPMiddleware
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty
from django_prometheus.middleware import PrometheusAfterMiddleware
from django_prometheus.utils import Time, TimeSince

from guardiannest import context, stats
from guardiannest.api.net import client_ip
from guardiannest.observability import count_unhandled

logger = structlog.get_logger("guardiannest.request")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Paths answered with and without a trailing slash (everything but the admin).
_SLASH_OPTIONAL = re.compile(r"^/(api|health|metrics|ws)(/.*)?/$")


def clean_request_id(value: str | None) -> str:
    """Echo a well-formed incoming id; replace anything else by a fresh UUID."""
    if value and _VALID_REQUEST_ID.match(value):
        return value
    return str(uuid.uuid4())


def current_request_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("request_id")


class RequestIdMiddleware:
    """Give every request an id, bind it to every log line, and log the request once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = clean_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        ip_token = context.client_ip.set(client_ip(request))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            context.client_ip.reset(ip_token)
        response[REQUEST_ID_HEADER] = request_id
        # DRF's authentication binds user_id itself; a session user (the admin) is
        # bound here only if something already loaded it: never load it for a log line.
        user = request.__dict__.get("user")
        if isinstance(user, SimpleLazyObject):
            user = None if user._wrapped is empty else user._wrapped
        if user is not None and user.is_authenticated:
            structlog.contextvars.bind_contextvars(user_id=str(user.pk))
        logger.info(
            "request",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round(duration_ms, 2),
        )
        structlog.contextvars.clear_contextvars()
        return response


class TrailingSlashMiddleware:
    """Answer ``/api/v1/x/`` exactly as ``/api/v1/x``: same view, no redirect."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _SLASH_OPTIONAL.match(request.path_info):
            request.path_info = request.path_info.rstrip("/")
            request.path = request.path.rstrip("/")
        return self.get_response(request)


class PrivateResponseMiddleware:
    """API answers carry personal data: no shared or browser cache keeps them.

    A view that means to be cached (a public profile with an ETag) sets its own
    Cache-Control, which is left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/v1") and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


class ResponseTimeMiddleware:
    """Feed recent response times to the percentiles shown on /health/services."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        stats.response_times.add((time.perf_counter() - started) * 1000)
        return response


class HtmlCSPMiddleware(CSPMiddleware):
    """django-csp, for HTML answers only: JSON renders nothing a policy could guard.

    django-csp builds the header before it looks at its exclusions, which cost
    ~130 µs on every API answer (bench/profile_auth_me.py).
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not str(response.get("Content-Type", "")).startswith("text/html"):
            return response
        return super().process_response(request, response)


# --- the API's JSON paths skip what only browsers (the admin) need ----------------------------------

# Answered with JSON to bearer tokens (or to nobody): no session, no Django messages, no OTP-verified user.
# /health/services and /metrics accept a staff session, and the docs are HTML: they keep the full chain.
_JSON_API = re.compile(r"^/(api/v1/|health/(live|ready)/?$)")


def json_api_path(request: HttpRequest) -> bool:
    return _JSON_API.match(request.path_info) is not None


class BrowserSessionMiddleware(SessionMiddleware):
    """Sessions for the admin and the staff pages; the JSON API authenticates with bearer tokens only.

    Loading a session store and setting its cookie machinery up cost ~25 µs of
    every API request (bench/profile_auth_me.py), for nothing.
    """

    def process_request(self, request: HttpRequest) -> None:
        if not json_api_path(request):
            super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not hasattr(request, "session"):
            return response
        return super().process_response(request, response)


class BrowserAuthenticationMiddleware(AuthenticationMiddleware):
    """``request.user`` from the session, where there is one; DRF sets it from the token on API requests."""

    def process_request(self, request: HttpRequest) -> None:
        if hasattr(request, "session"):
            super().process_request(request)


class BrowserMessageMiddleware(MessageMiddleware):
    """Django's flash messages are the admin's; API answers never carry them."""

    def process_request(self, request: HttpRequest) -> None:
        if hasattr(request, "session"):
            super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not hasattr(request, "_messages"):
            return response
        return super().process_response(request, response)


class MetricsMiddleware(PrometheusAfterMiddleware):
    """django-prometheus' per-view metrics, the ones dashboards read, for less.

    Kept: requests by method, responses by status (and by status, view and
    method), latency by view and method, exceptions. Left out: transport,
    AJAX, request and response body-size histograms, charset, streaming,
    template names (~10 metric updates a request, ~80 µs in all, measured in
    bench/profile_auth_me.py). Labelled children are kept, not looked up each time.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels) if labels else metric
        return child

    def process_request(self, request: HttpRequest) -> None:
        self._child(self.metrics.requests_by_method, self._method(request)).inc()
        request.prometheus_after_middleware_event = Time()  # type: ignore[attr-defined]

    def process_view(self, request: HttpRequest, view_func: Any, *view_args: Any, **view_kwargs: Any) -> None:
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """An exception no view handled (DRF views count theirs in the API's exception handler)."""
        count_unhandled(exception, "http")
        super().process_exception(request, exception)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        method, view, status = self._method(request), self._get_view_name(request), str(response.status_code)
        self._child(self.metrics.responses_by_status, status).inc()
        self._child(self.metrics.responses_by_status_view_method, status, view, method).inc()
        started = getattr(request, "prometheus_after_middleware_event", None)
        if started is not None:
            self._child(self.metrics.requests_latency_by_view_method, view, method).observe(TimeSince(started))
        return response


class UnmatchedPathMiddleware:
    """A path no route matches answers the problem+json 404, with its request id, in every mode.

    Django answers it through ``handler404`` only with DEBUG off; in DEBUG it renders its HTML
    page listing every route. A 404 from a matched view (which renders its own) is left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code != 404 or getattr(request, "resolver_match", None) is not None:
            return response
        if str(response.get("Content-Type", "")).startswith("application/problem+json"):
            return response
        from guardiannest.api.errors import not_found  # the error module imports this one

        return not_found(request)
