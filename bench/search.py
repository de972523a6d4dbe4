"""GET /api/v1/search/sitters over 100,000 sitters: endpoint, raw SQL and a no-op view, in one run.

On the data of ``bench/search_data`` (loaded once into ``gn_bench_search``,
reused while current), with the app as in production (gunicorn, 2 sync
workers, DEBUG off, pool on, JSON logs at WARNING; Redis db 14, `SEARCH_REDIS_DB`):

- ``endpoint``: typical searches (SEARCHES below), each request timed alone
  from a Python client (http.client), so p50/p95 are per-request latencies.
  Every measured request is a distinct query (the point moves over the
  0.001° grid the API rounds points to, ~700 m at most for 105 rounds), so
  each is a search-cache MISS that still pays the cache's read and write;
  the number of cache entries written afterwards proves it;
- ``noop``: an authenticated DRF view under the same middleware, auth and
  throttles (bench/urls_search.py), in the same server, from the same client;
- ``raw_sql``: the statements each search issues beyond what the no-op view
  issues, captured in process from the real view (same code, same
  parameters), then timed directly with psycopg: as the endpoint sends them
  (client-side binding, Django's default) and, for reference, prepared;
- ``plan``: EXPLAIN (ANALYZE, BUFFERS) of each search's statement; a
  sequential scan over sitters_sitterprofile fails the run (exit 3);
- ``hot``: the same query repeated: search-cache hits, a separate figure.

All timed work is interleaved round by round in a new random order, so drift
and neighbours' load hit every figure alike. One JSON object on stdout.

    .venv/bin/python bench/search.py [--rounds 100] [--warmup 5] [--hot 30] [--reload]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench._app import redis_check
from bench._harness import BenchError, Server, cores, emit, install_cleanup, log, percentile, stop_all, wait_for_quiet
from bench.http_servers import gunicorn_argv, login
from bench.search_data import CACHE_KEY_PREFIX, REDIS_URL, bench_env, connect, ensure_loaded, search_day
from bench.search_data.measure import NOOP_PATH, Captured, Client, capture, explain, run_statements

SEARCH_PATH = "/api/v1/search/sitters"
HEALTH_PATH = "/health/live"
P95_GOAL_MS = 50.0
RAW_SQL_FACTOR_GOAL = 1.5
# The API rounds the point searched from to 3 decimals, so distinct queries sit on this grid. A request's
# point moves by whole steps (a few hundred metres): its own query (a cache miss), barely other work.
GRID_DEG = 0.001


@dataclass(frozen=True)
class Search:
    name: str
    lat: float
    lon: float
    tz: str
    params: dict[str, str] = field(default_factory=dict)
    evening: bool = False  # add start/end: the search day, 18:00-22:00 local

    def query(self, step: tuple[int, int], day: dt.date) -> dict[str, str]:
        """The query ``step`` grid steps (north, east) from the search's point; (0, 0) is the point itself."""
        lat = round(self.lat, 3) + step[0] * GRID_DEG
        lon = round(self.lon, 3) + step[1] * GRID_DEG
        lon = (lon + 180.0) % 360.0 - 180.0
        query = {"latitude": f"{lat:.3f}", "longitude": f"{lon:.3f}", **self.params}
        if self.evening:
            zone = ZoneInfo(self.tz)
            query["start"] = dt.datetime.combine(day, dt.time(18), zone).isoformat()
            query["end"] = dt.datetime.combine(day, dt.time(22), zone).isoformat()
        return query


def grid_steps(rng: random.Random, count: int) -> list[tuple[int, int]]:
    """``count`` distinct grid steps in random order, from the smallest square around (0, 0) that has them."""
    half = math.ceil(math.sqrt(count)) // 2 + 1
    steps = [(north, east) for north in range(-half, half + 1) for east in range(-half, half + 1)]
    rng.shuffle(steps)
    return steps[:count]


SEARCHES = (
    Search("berlin_10km", 52.5200, 13.4050, "Europe/Berlin", {"radius_km": "10"}),
    Search("berlin_evening", 52.5200, 13.4050, "Europe/Berlin", {"radius_km": "10"}, evening=True),
    Search(
        "berlin_languages_age_groups",
        52.5200,
        13.4050,
        "Europe/Berlin",
        {"radius_km": "10", "languages": "en,fr", "age_groups": "toddler,preschool"},
    ),
    Search("london_verified_by_rating", 51.5072, -0.1276, "Europe/London", {"verified": "true", "sort": "rating"}),
    Search(
        "new_york_by_price_rate_range",
        40.7128,
        -74.0060,
        "America/New_York",
        {"radius_km": "15", "sort": "price", "min_rate": "1800", "max_rate": "2600"},
    ),
    Search(
        "london_evening_first_aid_25km",
        51.5072,
        -0.1276,
        "Europe/London",
        {"radius_km": "25", "certifications": "first_aid", "sort": "rating"},
        evening=True,
    ),
    Search("fiji_date_line_50km", -16.85, 179.99, "Pacific/Fiji", {"radius_km": "50"}),
    Search("tromso_high_latitude_25km", 69.6492, 18.9553, "Europe/Oslo", {"radius_km": "25"}),
    Search("berlin_page_2", 52.5200, 13.4050, "Europe/Berlin", {"radius_km": "10", "page": "2"}),
)


def search_path(query: dict[str, str]) -> str:
    return f"{SEARCH_PATH}?{urlencode(query)}"


# --- the run -----------------------------------------------------------------------------------------------


def p(values: list[float], point: float) -> float | None:
    value = percentile(values, point)
    return None if value is None else round(value, 2)


def run(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    import redis

    data = ensure_loaded(reload=args.reload)
    env = bench_env()
    # Entries must outlive the run so that counting them afterwards proves every measured request missed.
    server_env = {**env, "SITTER_SEARCH_CACHE_TTL": "3600"}
    redis_check(REDIS_URL)
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()  # this benchmark's own Redis db: no entry from an earlier run can answer
    # In process (capture only): no search cache, so every capture runs the statement.
    os.environ.update({**env, "SITTER_SEARCH_CACHE_TTL": "0"})
    import django

    django.setup()
    from django.db import connections

    day = search_day(dt.date.today())
    total_rounds = args.warmup + args.rounds
    rng = random.Random(args.seed)
    queries = {s.name: [s.query(step, day) for step in grid_steps(rng, total_rounds)] for s in SEARCHES}
    distinct = {json.dumps(q, sort_keys=True) for qs in queries.values() for q in qs}
    if len(distinct) != len(SEARCHES) * total_rounds:
        raise BenchError("the queries are not all distinct")
    hot_queries = {s.name: s.query((0, 0), day) for s in SEARCHES}

    with Server("gunicorn-search", gunicorn_argv("guardiannest.wsgi:application", 2), server_env, HEALTH_PATH) as srv:
        token = login(srv)
        log(f"capturing the statements of {len(SEARCHES)} searches x {args.capture} queries in process")
        captured: dict[str, list[Captured]] = {}
        for search in SEARCHES:
            paths = [search_path(q) for q in queries[search.name][: args.capture]]
            captured[search.name], auth_statements = capture(paths, token)
        connections.close_all()
        raw = connect(autocommit=True)
        plans = {}
        for search in SEARCHES:
            first = captured[search.name][0]
            run_statements(raw, first, prepared=False)  # warm the buffers as the measured runs will be
            main = max(first.statements, key=len)  # the search statement (the only one, normally)
            plans[search.name] = {**explain(raw, main), "statement": main}
            summary = plans[search.name]
            log(
                f"plan {search.name}: {summary['execution_ms']} ms, seq scans {summary['seq_scans']}, "
                f"indexes {summary['indexes']}"
            )
        background = wait_for_quiet(args.quiet, args.max_wait)
        client = Client(srv.port, token)
        samples: dict[str, dict[str, list[float]]] = {s.name: {"http": [], "sql": [], "prep": []} for s in SEARCHES}
        noop: list[float] = []
        first_page: dict[str, Any] = {}
        errors: list[str] = []
        log(f"measuring: {args.warmup} warm-up + {args.rounds} rounds, {len(SEARCHES) * 3 + 1} timings each")
        for round_number in range(total_rounds):
            tasks: list[tuple[str, str]] = [(s.name, kind) for s in SEARCHES for kind in ("http", "sql", "prep")]
            tasks.append(("noop", "http"))
            rng.shuffle(tasks)
            for name, kind in tasks:
                if name == "noop":
                    elapsed, status, body = client.get(NOOP_PATH)
                    if round_number >= args.warmup:
                        noop.append(elapsed)
                    continue
                if kind == "http":
                    elapsed, status, body = client.get(search_path(queries[name][round_number]))
                    if status != 200:
                        errors.append(f"{name}: {status} {body[:200]!r}")
                    elif name not in first_page:
                        page = json.loads(body)
                        first_page[name] = {"results": len(page["results"]), "has_next": page["next"] is not None}
                else:
                    sets = captured[name]
                    elapsed, _rows = run_statements(raw, sets[round_number % len(sets)], prepared=kind == "prep")
                if round_number >= args.warmup:
                    samples[name][kind].append(elapsed)
            if (round_number + 1) % 25 == 0:
                log(f"round {round_number + 1}/{total_rounds}")
        cache_entries = sum(1 for _ in store.scan_iter(match=f"{CACHE_KEY_PREFIX}:*sitters:search:*", count=1000))
        log(f"hot searches: each query {args.hot + 1} times (the first fills the cache)")
        hot: dict[str, list[float]] = {s.name: [] for s in SEARCHES}
        for search in SEARCHES:
            path = search_path(hot_queries[search.name])
            for attempt in range(args.hot + 1):
                elapsed, status, body = client.get(path)
                if status != 200:
                    errors.append(f"{search.name} (hot): {status} {body[:200]!r}")
                if attempt:
                    hot[search.name].append(elapsed)
        server_errors = srv.error_lines() if errors else []
        raw.close()

    noop_p50 = p(noop, 50) or 0.0
    results: dict[str, Any] = {}
    for search in SEARCHES:
        s = samples[search.name]
        endpoint_p50, endpoint_p95, sql_p50 = p(s["http"], 50), p(s["http"], 95), p(s["sql"], 50)
        budget = RAW_SQL_FACTOR_GOAL * ((sql_p50 or 0.0) + noop_p50)
        plan = plans[search.name]
        results[search.name] = {
            "query": queries[search.name][0],
            "endpoint_p50_ms": endpoint_p50,
            "endpoint_p95_ms": endpoint_p95,
            "endpoint_p99_ms": p(s["http"], 99),
            "raw_sql_p50_ms": sql_p50,
            "raw_sql_prepared_p50_ms": p(s["prep"], 50),
            "hot_cached_p50_ms": p(hot[search.name], 50),
            "statements_per_request": len(captured[search.name][0].statements),
            **first_page.get(search.name, {"results": None, "has_next": None}),
            "endpoint_over_raw_sql_plus_noop": round(endpoint_p50 / (sql_p50 + noop_p50), 2)
            if endpoint_p50 and sql_p50
            else None,
            "p95_under_50ms": endpoint_p95 is not None and endpoint_p95 < P95_GOAL_MS,
            "p50_within_1_5x_of_raw_sql_plus_noop": endpoint_p50 is not None and endpoint_p50 <= budget,
            "plan": plan,
        }
    expected_entries = len(SEARCHES) * total_rounds
    warnings = [f"non-200 answers: {line}" for line in errors[:10]] + [f"server log: {x}" for x in server_errors]
    if cache_entries < expected_entries:
        warnings.append(f"only {cache_entries} search-cache entries for {expected_entries} distinct queries")
    if background is not None and background > args.quiet:
        warnings.append(f"other processes used {background:.0%} of the CPU before measuring")
    seq_scan = any(r["plan"]["seq_scan_on_sitters"] for r in results.values())
    all_hot = [value for values in hot.values() for value in values]
    figures = {
        "benchmark": "search",
        "cores": cores(),
        "background_cpu_busy": background,
        "data": data,
        "server": {"gunicorn_workers": 2, "worker_class": "sync", "search_cache_ttl_s": 3600},
        "rounds": args.rounds,
        "warmup_rounds": args.warmup,
        "search_day": day.isoformat(),
        "noop_view_p50_ms": noop_p50,
        "noop_view_p95_ms": p(noop, 95),
        "auth_statements_per_request": auth_statements,
        "search_cache_entries_written": cache_entries,
        "measured_requests_were_cache_misses": cache_entries >= expected_entries,
        "hot_search_cached_p50_ms": p(all_hot, 50),
        "searches": results,
        "goals": {
            "p95_under_50ms": all(r["p95_under_50ms"] for r in results.values()),
            "p50_within_1_5x_of_raw_sql_plus_noop": all(
                r["p50_within_1_5x_of_raw_sql_plus_noop"] for r in results.values()
            ),
            "no_seq_scan_on_sitters": not seq_scan,
        },
        "warnings": warnings,
    }
    return figures, seq_scan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=100, help="measured rounds (default 100)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up rounds, not recorded (default 5)")
    parser.add_argument("--capture", type=int, default=30, help="queries per search captured for raw SQL (30)")
    parser.add_argument("--hot", type=int, default=30, help="repeats of each hot (cached) query (default 30)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the query jitter (default 6)")
    parser.add_argument("--reload", action="store_true", help="reload the 100k sitters even if present")
    parser.add_argument("--quiet", type=float, default=0.25, help="wait while others use more CPU (default 0.25)")
    parser.add_argument("--max-wait", type=float, default=60, help="seconds to wait for quiet (default 60)")
    args = parser.parse_args(argv)
    if not (10 <= args.rounds <= 10_000 and 0 <= args.warmup <= 1000 and 1 <= args.hot <= 1000):
        parser.error("keep --rounds in 10..10000, --warmup in 0..1000 and --hot in 1..1000")
    if not 1 <= args.capture <= args.warmup + args.rounds:
        parser.error("keep --capture in 1..(--warmup + --rounds)")
    install_cleanup()
    try:
        figures, seq_scan = run(args)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 1
    finally:
        stop_all()
    emit(figures)
    if seq_scan:
        log("FAILED: a search plan scans sitters_sitterprofile sequentially (see searches.*.plan)")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
