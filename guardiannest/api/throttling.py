"""Rate limits counted atomically in the cache (Redis in production).

DRF's stock throttles read, append and write a list, which lets concurrent
requests slip through; these count a fixed window with ``add`` + ``incr``, both
atomic on Redis, and tell the client how long to wait.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from rest_framework import throttling
from rest_framework.request import Request

from guardiannest.api.net import client_ip


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
        return count_in_window(window_key, self.duration + 1) <= self.num_requests

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
