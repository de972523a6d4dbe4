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
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import structlog
from django.conf import settings
from django.core.cache import cache
from prometheus_client import Counter
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.request import Request

from guardiannest.api.net import client_ip
from guardiannest.cache import RedisBatch, add_to_windows, add_to_windows_in, add_to_windows_sent
from guardiannest.errors import ApplicationError, ErrorCode

logger = structlog.get_logger("guardiannest.throttling")

UNCOUNTED = Counter(
    "guardiannest_throttle_store_unavailable_total",
    "Throttle checks made while the counter store (Redis) was unreachable, by scope and outcome.",
    ["scope", "outcome"],
)


def count_in_windows(windows: Sequence[tuple[str, int]]) -> list[int]:
    """Add one to each ``(key, ttl)`` window counter and return the counts, all in one round trip on Redis.

    No request is lost or counted twice whatever runs alongside (``guardiannest.cache.add_to_windows``).
    """
    return add_to_windows([(key, ttl, 1) for key, ttl in windows])


@lru_cache(maxsize=64)
def _parsed(rate: str) -> tuple[int, int]:
    """(requests, seconds) of a rate such as ``"30/min"``, as DRF reads it."""
    number, period = rate.split("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


class Window(NamedTuple):
    """One counter a request adds to: its throttle's scope, cache key, limit and window length."""

    scope: str
    key: str
    limit: int
    duration: int
    wait: float  # seconds to the end of the current window

    @classmethod
    def now(cls, scope: str, ident: str, rate: str) -> Window:
        limit, duration = _parsed(rate)
        now = time.time()
        window_start = int(now // duration) * duration
        return cls(scope, f"throttle:{scope}:{ident}:{window_start}", limit, duration, window_start + duration - now)


def store_unavailable(scopes: Iterable[str], exc: Exception) -> bool:
    """Fail open for everyday scopes, closed for the guarded ones (module docstring): True to let the call through."""
    closed = False
    for scope in scopes:
        refused = scope in settings.THROTTLE_FAIL_CLOSED_SCOPES
        closed = closed or refused
        UNCOUNTED.labels(scope=scope, outcome="refused" if refused else "allowed").inc()
        logger.warning("throttle_store_unavailable", scope=scope, refused=refused, error=type(exc).__name__)
    if closed:
        raise ApplicationError(
            ErrorCode.SERVICE_UNAVAILABLE,
            "This is unavailable for a moment. Please try again shortly.",
            retry_after=settings.THROTTLE_UNAVAILABLE_RETRY_AFTER,
        ) from exc
    return True


def _rate_of(scope: str | None) -> str | None:
    # Read live, not at import, so a changed setting takes effect.
    from rest_framework.settings import api_settings

    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope or "")
    return None if rate is None else str(rate)


def _user_pk(request: Request) -> Any:
    """The authenticated caller's pk, or None for an anonymous one."""
    user = request.user
    return user.pk if user and user.is_authenticated else None


class WindowThrottle(throttling.SimpleRateThrottle):
    """Fixed window counter; ``scope`` names the rate in DEFAULT_THROTTLE_RATES."""

    cache = cache
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        return _rate_of(self.scope)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.key_for(request, view, _user_pk(request))

    def key_for(self, request: Request, view: Any, user_pk: Any) -> str | None:
        """``scope:who`` for a caller who is the user ``user_pk`` (None: anonymous); None when this does not apply."""
        raise NotImplementedError

    def window(self, request: Request, view: Any, user_pk: Any) -> Window | None:
        """The counter this request adds to, or None when this throttle does not apply to it."""
        if self.rate is None:
            return None
        key = self.key_for(request, view, user_pk)
        if key is None:
            return None
        scope, _, ident = key.partition(":")
        return Window.now(scope, ident, self.rate)

    def allow_request(self, request: Request, view: Any) -> bool:
        window = self.window(request, view, _user_pk(request))
        if window is None:
            return True
        self._wait = window.wait
        try:
            return count_in_windows([(window.key, window.duration + 1)])[0] <= window.limit
        except (RedisError, OSError) as exc:
            return store_unavailable([window.scope], exc)

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)

    @staticmethod
    def ident_of(request: Request) -> str:
        return client_ip(request._request)


class UserRateThrottle(WindowThrottle):
    scope = "user"

    def key_for(self, request: Request, view: Any, user_pk: Any) -> str | None:
        return None if user_pk is None else f"{self.scope}:{user_pk}"


class AnonRateThrottle(WindowThrottle):
    scope = "anon"

    def key_for(self, request: Request, view: Any, user_pk: Any) -> str | None:
        return None if user_pk is not None else f"{self.scope}:{self.ident_of(request)}"


class ScopedRateThrottle(WindowThrottle):
    """Per-view scope (``throttle_scope = "login"``), per user or else per IP."""

    scope_attr = "throttle_scope"

    def __init__(self) -> None:
        pass  # the rate depends on the view; see window

    def window(self, request: Request, view: Any, user_pk: Any) -> Window | None:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return None
        self.rate = self.get_rate()
        if self.rate is None:
            return None
        return super().window(request, view, user_pk)

    def key_for(self, request: Request, view: Any, user_pk: Any) -> str | None:
        return f"{self.scope}:{self.ident_of(request) if user_pk is None else user_pk}"


class _Counted(NamedTuple):
    """A request's windows counted ahead (``count_ahead``): for whom, which, and the counts or the store's error."""

    user_pk: Any
    windows: list[Window]
    counts: list[int] | None
    error: Exception | None


# Where count_ahead leaves its result on the HttpRequest for RequestThrottle.allow_request.
_COUNTED_AHEAD = "_guardiannest_throttle_counted"


class RequestThrottle(throttling.BaseThrottle):
    """Every default throttle of a request, counted in one round trip to Redis.

    The budget per user (``user``), or per address for anonymous callers
    (``anon``), and the view's own scope (``throttle_scope``) each keep their
    own counter, exactly as :class:`UserRateThrottle`, :class:`AnonRateThrottle`
    and :class:`ScopedRateThrottle` count them apart; this only sends them in
    one command. Every counter is incremented, refused or not (as DRF runs
    every throttle); the wait is the longest of the exceeded windows.

    An authenticated request's counts are usually sent ahead, while its user
    is loaded (:func:`count_ahead`), and only read here.
    """

    parts: tuple[type[WindowThrottle], ...] = (UserRateThrottle, AnonRateThrottle, ScopedRateThrottle)

    @classmethod
    def windows(cls, request: Request, view: Any, user_pk: Any) -> list[Window]:
        return [window for part in cls.parts if (window := part().window(request, view, user_pk)) is not None]

    def allow_request(self, request: Request, view: Any) -> bool:
        user_pk = _user_pk(request)
        ahead: _Counted | None = request._request.__dict__.pop(_COUNTED_AHEAD, None)
        if ahead is not None and ahead.user_pk == str(user_pk):
            windows, counts, error = ahead.windows, ahead.counts, ahead.error
        else:
            windows, counts, error = self.windows(request, view, user_pk), None, None
            if not windows:
                return True
            try:
                counts = count_in_windows([(window.key, window.duration + 1) for window in windows])
            except (RedisError, OSError) as exc:
                error = exc
        if counts is None:
            assert error is not None
            return store_unavailable([window.scope for window in windows], error)
        exceeded = [window.wait for window, count in zip(windows, counts, strict=True) if count > window.limit]
        self._wait = max(exceeded, default=None)
        return not exceeded

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


def count_ahead(request: Request, user_pk: Any, batch: RedisBatch | None = None) -> Callable[[bool], None]:
    """Send the request's throttle counts for the user ``user_pk`` now; the returned function reads them.

    With ``batch``, the counts go out as one of its commands, when the caller
    sends it (with the other commands authentication has for Redis).

    Authentication calls it once the token names the user, and reads the
    counts after loading that user: they ride in the same Redis write as the
    session's snapshot look-up (one round trip), and when snapshots are off
    their round trip overlaps the user query. Call the returned function
    exactly once, with whether the user was signed in after all: the counts
    are then kept for :meth:`RequestThrottle.allow_request`, or, for a token
    refused after all (an ended session), taken back, so a refused token
    cannot spend its user's budget. Only for a view throttled by
    :class:`RequestThrottle` alone; else the throttles count as usual.

    Unlike DRF's order, such a request counts before its permissions are
    checked: a refused (403) request spends budget like any other.
    """
    view = (request.parser_context or {}).get("view")
    throttles = view.get_throttles() if view is not None else []
    if len(throttles) != 1 or type(throttles[0]) is not RequestThrottle:
        return _nothing
    user_pk = str(user_pk)
    windows = RequestThrottle.windows(request, view, user_pk)
    if not windows:
        return _nothing
    counted = [(window.key, window.duration + 1, 1) for window in windows]
    try:
        read = add_to_windows_sent(counted) if batch is None else add_to_windows_in(batch, counted)
    except (RedisError, OSError) as exc:
        request._request.__dict__[_COUNTED_AHEAD] = _Counted(user_pk, windows, None, exc)
        return _nothing

    def finish(signed_in: bool) -> None:
        try:
            counts = read()
        except (RedisError, OSError) as exc:
            request._request.__dict__[_COUNTED_AHEAD] = _Counted(user_pk, windows, None, exc)
            return
        if signed_in:
            request._request.__dict__[_COUNTED_AHEAD] = _Counted(user_pk, windows, counts, None)
            return
        request._request.__dict__.pop(_COUNTED_AHEAD, None)
        try:
            add_to_windows([(window.key, window.duration + 1, -1) for window in windows])
        except (RedisError, OSError):
            logger.warning("throttle_count_not_taken_back", scopes=[window.scope for window in windows])

    return finish


def _nothing(signed_in: bool) -> None:
    return None
