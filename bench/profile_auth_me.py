"""Where the time of GET /api/v1/auth/me goes, in process, through Django's WSGI handler.

Runs the app with exactly the settings of bench/http_servers.py (PostgreSQL
``guardiannest_bench`` with the pool, Redis db 15, DEBUG off, LOG_LEVEL WARNING)
and calls the WSGI application directly, as gunicorn's sync worker does, with
no network server in between. Every figure is in µs, on two clocks: ``wall``
(what a client waits, including PostgreSQL/Redis round trips and waiting for a
CPU on a busy machine) and ``cpu`` (this thread's CPU time: what the worker
itself burns, and steady even when other processes load the machine).

- ``requests``: per request for /health/live, /api/v1/auth/me and the bare
  DRF view (bench/settings_bare.py), and for /auth/me with no middleware,
  with no throttles and with the authentication snapshot off; all configurations interleaved in short blocks, in a
  new random order each round;
- ``middleware``: each middleware's own time (request and response halves)
  within the same /auth/me and /health/live requests, measured by timing
  shims between the middleware (bench/middleware_timing.py), plus the view
  path and the WSGI handler's own share;
- ``components``: single operations /auth/me performs, timed on their own
  (JWT validation, the user query, a throttle check, the MFA query, ...);
- ``cprofile_cpu`` / ``cprofile_wall``: cumulative time of named components,
  self time by package and the top functions over N requests (cProfile
  inflates absolute times; compare shares).

Prints one JSON object on stdout (progress on stderr). See bench/README.md.

    .venv/bin/python bench/profile_auth_me.py [--requests 1000] [--rounds 40] [--profile-requests 500]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench._app import BENCH_EMAIL, BENCH_PASSWORD, app_env, prepare_app
from bench._harness import cores, emit, log, summarize, wait_for_quiet
from bench._inprocess import (
    Scenario,
    handler,
    package_of,
    profiled_components,
    run_interleaved,
    time_calls,
)

ME_PATH = "/api/v1/auth/me"
LOGIN_PATH = "/api/v1/auth/login"
HEALTH_PATH = "/health/live"
BARE_DRF_PATH = "/bench/bare"
SAME_WORK_ME_PATH = "/bench/me"
API_BARE_PATH = "/api/v1/bench/bare"  # the bare view where the API's middleware act on it


def login() -> str:
    """An access token from POST /api/v1/auth/login, through the app itself (the public API only)."""
    credentials = json.dumps({"email": BENCH_EMAIL, "password": BENCH_PASSWORD}).encode()
    status, body = handler()(LOGIN_PATH, method="POST", body=credentials)
    if status != 200:
        raise SystemExit(f"login answered {status}: {body[:300]!r}")
    return str(json.loads(body)["access"])


def measure_requests(token: str, n: int, rounds: int) -> dict[str, Any]:
    """Whole requests in several configurations, interleaved."""
    from accounts.api.views import MeApi

    auth = {"Authorization": f"Bearer {token}"}
    full = handler()
    saved_throttles = MeApi.throttle_classes

    def no_throttles() -> None:
        MeApi.throttle_classes = []

    def restore_throttles() -> None:
        MeApi.throttle_classes = saved_throttles

    from django.conf import settings

    saved_ttl = settings.AUTH_SNAPSHOT_TTL

    def snapshots_off() -> None:
        settings.AUTH_SNAPSHOT_TTL = 0

    def snapshots_on() -> None:
        settings.AUTH_SNAPSHOT_TTL = saved_ttl

    scenarios = {
        "health_live": Scenario(full, HEALTH_PATH),
        "auth_me": Scenario(full, ME_PATH, auth),
        "bare_drf": Scenario(handler([], urlconf="bench.urls_bare"), BARE_DRF_PATH),
        # auth/me's fair baseline (bench/urls_bare.py SameWorkMeApi): its essential work, no middleware
        "same_work_me": Scenario(handler([], urlconf="bench.urls_bare"), SAME_WORK_ME_PATH, auth),
        # the bare view at an /api/v1 path under every middleware: the middleware's price alone
        "bare_drf_full_middleware": Scenario(handler(urlconf="bench.urls_bare"), API_BARE_PATH),
        "auth_me_no_middleware": Scenario(handler([]), ME_PATH, auth),
        "auth_me_no_throttles": Scenario(full, ME_PATH, auth, before=no_throttles, after=restore_throttles),
        # AUTH_SNAPSHOT_TTL=0: the user query on every request, as before the snapshot (accounts/auth_snapshot.py)
        "auth_me_snapshot_off": Scenario(full, ME_PATH, auth, before=snapshots_off, after=snapshots_on),
    }
    log(f"timing {len(scenarios)} configurations, {n} requests each, interleaved in {rounds} rounds")
    return run_interleaved(scenarios, n, rounds)


def middleware_breakdown(path: str, headers: dict[str, str] | None, n: int) -> dict[str, Any]:
    """Each middleware's own time within the same requests (bench/middleware_timing.py shims)."""
    from django.conf import settings

    from bench import middleware_timing

    stack = list(settings.MIDDLEWARE)
    layers = len(stack)
    caller = handler(middleware_timing.interleave(stack))
    status, body = caller(path, headers)
    if status != 200:
        raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
    own: list[list[float]] = [[] for _ in range(layers)]
    view_path: list[float] = []
    outside: list[float] = []
    totals: list[float] = []
    for _ in range(min(200, n)):
        caller(path, headers)
    gc.collect()
    gc.disable()
    try:
        for _ in range(n):
            started = time.perf_counter_ns()
            caller(path, headers)
            total = time.perf_counter_ns() - started
            inclusive = middleware_timing.inclusive_ns[: layers + 1]
            for index in range(layers):
                own[index].append((inclusive[index] - inclusive[index + 1]) / 1000)
            view_path.append(inclusive[layers] / 1000)
            outside.append((total - inclusive[0]) / 1000)
            totals.append(total / 1000)
    finally:
        gc.enable()
    rows = [
        {
            "middleware": name.rsplit(".", 1)[-1],
            "p50_us": summarize(own[index])["p50"],
            "mean_us": summarize(own[index])["mean"],
        }
        for index, name in enumerate(stack)
    ]
    all_middleware = [sum(own[index][sample] for index in range(layers)) for sample in range(n)]
    return {
        "path": path,
        "requests": n,
        "total_p50_us": summarize(totals)["p50"],
        "all_middleware_p50_us": summarize(all_middleware)["p50"],
        "view_path_p50_us": summarize(view_path)["p50"],
        "wsgi_handler_outside_middleware_p50_us": summarize(outside)["p50"],
        "by_middleware": sorted(rows, key=lambda row: -(row["p50_us"] or 0)),
    }


def measure_components(token: str, n: int) -> dict[str, Any]:
    """Single operations of /auth/me, each timed alone (µs per call)."""
    import structlog
    from django.core.cache import cache
    from django.db import connection
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from accounts.api.serializers import MeSerializer
    from accounts.models import User
    from guardiannest.api.authentication import JWTAuthentication
    from guardiannest.api.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

    auth = JWTAuthentication()
    validated = auth.get_validated_token(token.encode())
    user = User.objects.get(email=BENCH_EMAIL)
    drf_request = APIView().initialize_request(APIRequestFactory().get(ME_PATH))
    drf_request.user = user
    view = APIView()
    request_logger = structlog.get_logger("guardiannest.request")

    def user_throttles() -> None:
        for throttle_class in (UserRateThrottle, AnonRateThrottle, ScopedRateThrottle):
            throttle_class().allow_request(drf_request, view)

    def select_one() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def pool_checkout_and_return() -> None:
        connection.close()  # back to the pool
        connection.ensure_connection()  # out of the pool again

    def user_fetch_raw_sql() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM accounts_user WHERE id = %s", [user.pk])
            cursor.fetchone()

    redis_cache: Any = cache._cache  # type: ignore[attr-defined]  # Django's RedisCacheClient
    reused_client = redis_cache.get_client(write=True)
    window_key = "gnbench:bench:throttle-sketch"

    def throttle_one_round_trip() -> None:
        # What a throttle needs, in one round trip on a client kept for the process:
        # create the window's counter with its expiry if missing, then count.
        pipe = reused_client.pipeline(transaction=False)
        pipe.set(window_key, 0, ex=61, nx=True)
        pipe.incr(window_key)
        pipe.execute()

    operations: dict[str, Callable[[], Any]] = {
        "jwt_validate (simplejwt AccessToken: PyJWT decode + HS256 + claims)": lambda: auth.get_validated_token(
            token.encode()
        ),
        "user_fetch (JWTAuthentication.get_user: 1 SELECT)": lambda: auth.get_user(validated),
        "user_fetch_raw_sql (the same row by cursor, no ORM)": user_fetch_raw_sql,
        "throttles (User+Anon+Scoped allow_request: Redis ADD + INCR)": user_throttles,
        "redis_roundtrip (one cache.get)": lambda: cache.get("bench:nothing"),
        "redis_client_construction (redis.Redis() Django builds per cache call)": lambda: redis_cache.get_client(
            write=True
        ),
        "redis_get_on_reused_client (one GET, client kept)": lambda: reused_client.get("gnbench:bench:nothing"),
        "throttle_sketch_one_round_trip (SET NX EX + INCR pipelined, client kept)": throttle_one_round_trip,
        "me_serializer (MeSerializer(user).data, incl. mfa_enabled query)": lambda: MeSerializer(user).data,
        "me_dict_by_hand (the same fields, plain dict, no query)": lambda: {
            "id": str(user.pk),
            "email": user.email,
            "role": user.role,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "email_verified": user.email_verified,
            "is_staff": user.is_staff,
        },
        "mfa_enabled (TOTPDevice EXISTS query)": lambda: user.mfa_enabled,
        "postgres_roundtrip (SELECT 1)": select_one,
        "db_pool_checkout_and_return (per request)": pool_checkout_and_return,
        "request_log_call (structlog .info filtered at WARNING)": lambda: request_logger.info(
            "request", method="GET", path=ME_PATH, status=200, duration_ms=1.0
        ),
    }
    results = {}
    for name, operation in operations.items():
        timed = time_calls(operation, n, warmup=min(100, n))
        results[name] = {"wall_p50": summarize(timed.wall)["p50"], "cpu_p50": summarize(timed.cpu)["p50"]}
        log(f"{name}: p50 wall {results[name]['wall_p50']} µs, cpu {results[name]['cpu_p50']} µs")
    connection.close()
    return results


def cprofile_requests(token: str, n: int, *, clock: str, top: int) -> dict[str, Any]:
    """cProfile over ``n`` /auth/me requests, on the wall clock or on this thread's CPU clock."""
    caller = handler()
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(100):
        caller(ME_PATH, auth)
    profiler = cProfile.Profile(time.thread_time) if clock == "cpu" else cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        caller(ME_PATH, auth)
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_package: dict[str, float] = defaultdict(float)
    total = 0.0
    rows = []
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in raw.items():
        by_package[package_of(filename)] += tottime
        total += tottime
        rows.append((tottime, cumtime, calls, f"{Path(filename).name}:{line}({function})", filename))
    rows.sort(reverse=True)
    per_request = 1e6 / n
    return {
        "clock": clock,
        "requests": n,
        "profiled_us_per_request": round(total * per_request, 1),
        "components_cum_us_per_request": profiled_components(raw, n),
        "self_time_by_package_us_per_request": {
            name: round(seconds * per_request, 1)
            for name, seconds in sorted(by_package.items(), key=lambda item: -item[1])
        },
        "top_self_time": [
            {
                "function": name,
                "package": package_of(filename),
                "self_us_per_request": round(tottime * per_request, 1),
                "cum_us_per_request": round(cumtime * per_request, 1),
                "calls_per_request": round(calls / n, 2),
            }
            for tottime, cumtime, calls, name, filename in rows[:top]
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per configuration (default 1000)")
    parser.add_argument("--rounds", type=int, default=40, help="interleaving rounds (default 40)")
    parser.add_argument("--profile-requests", type=int, default=500, help="requests under cProfile (default 500)")
    parser.add_argument("--quiet", type=float, default=0.25, help="wait while others use more CPU (default 0.25)")
    parser.add_argument("--max-wait", type=float, default=60, help="seconds to wait for quiet (default 60)")
    parser.add_argument("--skip-setup", action="store_true", help="do not create/migrate the database first")
    args = parser.parse_args(argv)
    if not (10 <= args.requests <= 100_000 and 10 <= args.profile_requests <= 100_000):
        parser.error("keep --requests and --profile-requests in 10..100000")
    if not (1 <= args.rounds <= args.requests and 0 <= args.max_wait <= 600):
        parser.error("keep --rounds in 1..--requests and --max-wait in 0..600")

    env = app_env("guardiannest.settings")
    if not args.skip_setup:
        prepare_app(env)
    background = wait_for_quiet(args.quiet, args.max_wait)
    os.environ.update(env)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    try:
        token = login()
        requests = measure_requests(token, args.requests, args.rounds)
        log("timing each middleware within /auth/me and /health/live requests")
        auth = {"Authorization": f"Bearer {token}"}
        middleware = {
            "auth_me": middleware_breakdown(ME_PATH, auth, args.requests),
            "health_live": middleware_breakdown(HEALTH_PATH, None, args.requests),
        }
        components = measure_components(token, max(200, args.requests // 2))
        log("profiling with cProfile (CPU clock, then wall clock)")
        profile_cpu = cprofile_requests(token, args.profile_requests, clock="cpu", top=25)
        profile_wall = cprofile_requests(token, args.profile_requests, clock="wall", top=10)
    finally:
        connections.close_all()

    def p50(name: str, clock: str) -> float:
        return float(requests[name][clock]["p50"])

    emit(
        {
            "benchmark": "profile_auth_me",
            "cores": cores(),
            "background_cpu_busy_at_start": background,
            "how": (
                "in-process WSGI calls as gunicorn's sync worker makes them (no HTTP server); per request "
                "wall time (perf_counter) and this thread's CPU time (thread_time); GC paused while timing; "
                "configurations interleaved round-robin"
            ),
            "units": "microseconds",
            "middleware_count": len(settings.MIDDLEWARE),
            "requests": requests,
            "auth_me_extra_over_bare_drf_us": {
                "cpu": round(p50("auth_me", "cpu") - p50("bare_drf", "cpu"), 1),
                "wall": round(p50("auth_me", "wall") - p50("bare_drf", "wall"), 1),
            },
            "in_process_auth_me_vs_bare_drf": {
                "cpu": round(p50("bare_drf", "cpu") / p50("auth_me", "cpu"), 3),
                "wall": round(p50("bare_drf", "wall") / p50("auth_me", "wall"), 3),
            },
            "in_process_auth_me_vs_same_work_me": {
                "cpu": round(p50("same_work_me", "cpu") / p50("auth_me", "cpu"), 3),
                "wall": round(p50("same_work_me", "wall") / p50("auth_me", "wall"), 3),
            },
            "middleware_total_us": {
                "on_bare_drf_cpu": round(p50("bare_drf_full_middleware", "cpu") - p50("bare_drf", "cpu"), 1),
                "on_bare_drf_wall": round(p50("bare_drf_full_middleware", "wall") - p50("bare_drf", "wall"), 1),
                "on_auth_me_cpu": round(p50("auth_me", "cpu") - p50("auth_me_no_middleware", "cpu"), 1),
                "on_auth_me_wall": round(p50("auth_me", "wall") - p50("auth_me_no_middleware", "wall"), 1),
            },
            "throttles_total_us": {
                "cpu": round(p50("auth_me", "cpu") - p50("auth_me_no_throttles", "cpu"), 1),
                "wall": round(p50("auth_me", "wall") - p50("auth_me_no_throttles", "wall"), 1),
            },
            "middleware": middleware,
            "components": components,
            "cprofile_cpu": profile_cpu,
            "cprofile_wall": profile_wall,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
