"""Rate limits counted atomically in the cache (Redis in production).

DRF's stock throttles read, append and write a list, which lets concurrent
requests slip through; these count a fixed window with ``add`` + ``incr``, both
atomic on Redis, and tell the client how long to wait.

When the counter store cannot be reached, a throttle cannot count. Everyday
calls go on uncounted (fail open: a metric and a log line say so), but the
scopes that guard credentials and cost money (``THROTTLE_FAIL_CLOSED_SCOPES``:
login, one-time codes, SMS, ...) refuse with 503 and Retry-After: an unlimited
password or SMS endpoint is worse than a short outage of it.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from prometheus_client import Counter
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.request import Request

from guardiannest.api.net import client_ip
from guardiannest.errors import ApplicationError, ErrorCode

logger = structlog.get_logger("guardiannest.throttling")

UNCOUNTED = Counter(
    "guardiannest_throttle_store_unavailable_total",
    "Throttle checks made while the counter store (Redis) was unreachable, by scope and outcome.",
    ["scope", "outcome"],
)


def count_in_window(key: str, ttl: int) -> int:
    """Add one to a window counter and return it, atomically, in one round trip on Redis."""
    raw_client = getattr(cache, "raw_client", None)
    if raw_client is not None:
        redis_key = cache.make_and_validate_key(key)
        pipeline = raw_client().pipeline(transaction=True)
        pipeline.set(redis_key, 0, ex=ttl, nx=True)
        pipeline.incr(redis_key)
        return int(pipeline.execute()[1])
    cache.add(key, 0, timeout=ttl)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=ttl)
        return 1


class WindowThrottle(throttling.SimpleRateThrottle):
    """Fixed window counter; ``scope`` names the rate in DEFAULT_THROTTLE_RATES."""

    cache = cache
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        # Read live, not at import, so a changed setting takes effect.
        from rest_framework.settings import api_settings

        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        window_start = int(now // self.duration) * self.duration
        window_key = f"throttle:{key}:{window_start}"
        self._wait = window_start + self.duration - now
        try:
            return count_in_window(window_key, self.duration + 1) <= self.num_requests
        except (RedisError, OSError) as exc:
            return self._store_unavailable(exc)

    def _store_unavailable(self, exc: Exception) -> bool:
        """Fail open for everyday scopes, closed for the guarded ones (module docstring)."""
        scope = str(self.scope or "")
        closed = scope in settings.THROTTLE_FAIL_CLOSED_SCOPES
        UNCOUNTED.labels(scope=scope, outcome="refused" if closed else "allowed").inc()
        logger.warning("throttle_store_unavailable", scope=scope, refused=closed, error=type(exc).__name__)
        if closed:
            raise ApplicationError(
                ErrorCode.SERVICE_UNAVAILABLE,
                "This is unavailable for a moment. Please try again shortly.",
                retry_after=settings.THROTTLE_UNAVAILABLE_RETRY_AFTER,
            ) from exc
        return True

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)

    @staticmethod
    def ident_of(request: Request) -> str:
        return client_ip(request._request)


class UserRateThrottle(WindowThrottle):
    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return f"{self.scope}:{request.user.pk}"


class AnonRateThrottle(WindowThrottle):
    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return f"{self.scope}:{self.ident_of(request)}"


class ScopedRateThrottle(WindowThrottle):
    """Per-view scope (``throttle_scope = "login"``), per user or else per IP."""

    scope_attr = "throttle_scope"

    def __init__(self) -> None:
        pass  # the rate depends on the view; see allow_request

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        num_requests, duration = self.parse_rate(self.rate)
        if num_requests is None or duration is None:
            return True
        self.num_requests, self.duration = num_requests, duration
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        who = request.user.pk if request.user and request.user.is_authenticated else self.ident_of(request)
        return f"{self.scope}:{who}"
