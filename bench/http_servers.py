"""HTTP serving cost on this machine: gunicorn (WSGI, sync workers) against uvicorn (ASGI).

Measures, in one run, with wrk on 127.0.0.1:

- gunicorn, 2 sync workers: GET /health/live, GET /api/v1/auth/me (JWT), a
  bare DRF APIView with no middleware (bench/settings_bare.py), and the
  same-work view of auth/me (bench/urls_bare.py ``SameWorkMeApi``: PyJWT decode,
  the same user query, one Redis pipeline, no middleware), its fair baseline;
- uvicorn, 2 workers: the same three, plus a raw ASGI app (bench/bare_asgi.py).

Prints one JSON object on stdout (progress goes to stderr). See bench/README.md.

    .venv/bin/python bench/http_servers.py [--duration 10] [--warmup 2] [--connections 64] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench._app import BENCH_EMAIL, BENCH_PASSWORD, app_env, prepare_app
from bench._harness import (
    BenchError,
    Server,
    cores,
    emit,
    http_request,
    install_cleanup,
    log,
    ratio,
    require_wrk,
    stop_all,
    tool,
    wait_for_quiet,
)
from bench._wrk import LoadConfig, measure, run_wrk

BARE_DRF_PATH = "/bench/bare"  # bench/urls_bare.py (not imported here: it needs Django set up)
SAME_WORK_ME_PATH = "/bench/me"  # bench/urls_bare.py: auth/me's essential work, no middleware
HEALTH_PATH = "/health/live"
ME_PATH = "/api/v1/auth/me"
LOGIN_PATH = "/api/v1/auth/login"


def gunicorn_argv(app: str, workers: int) -> list[str]:
    return [
        tool("gunicorn"),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        "127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--graceful-timeout",
        "5",
        app,
    ]


def uvicorn_argv(app: str, workers: int) -> list[str]:
    return [
        tool("uvicorn"),
        "--workers",
        str(workers),
        "--no-access-log",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--log-level",
        "warning",
        "--timeout-graceful-shutdown",
        "5",
        app,
    ]


def login(server: Server) -> str:
    """POST /api/v1/auth/login as the bench user; the access token."""
    status, body = http_request(
        server.url(LOGIN_PATH), method="POST", body={"email": BENCH_EMAIL, "password": BENCH_PASSWORD}, timeout=30
    )
    if status != 200:
        raise BenchError(f"login answered {status}: {body[:300]!r}")
    token = json.loads(body).get("access")
    if not token:
        raise BenchError(f"login gave no access token: {body[:300]!r}")
    return str(token)


def versions() -> dict[str, str]:
    found = {}
    for dist in ("Django", "djangorestframework", "djangorestframework_simplejwt", "gunicorn", "uvicorn"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "missing"
    return found


def measure_paired(
    app: dict[str, str], bare: dict[str, str], config: LoadConfig, workers: int, rounds: int, token: str
) -> dict[str, Any]:
    """auth/me and /health/live against their baselines, interleaved: each ratio from back-to-back runs.

    The measurements above run one server after the other, a minute or more
    apart; on a shared machine the load of the neighbours changes in between
    and the ratios with it. Here both gunicorns run at once (the idle one
    costs nothing), and each round loads the app's endpoint and its baseline
    one right after the other, in a random order, ``config.duration_s`` each.
    The figure is the median of the per-round ratios.
    """
    pairs = {
        "auth_me_vs_same_work_me_gunicorn": (("app", ME_PATH, True), ("bare", SAME_WORK_ME_PATH, True)),
        "health_live_vs_bare_drf_gunicorn": (("app", HEALTH_PATH, False), ("bare", BARE_DRF_PATH, False)),
    }
    shuffler = random.Random(12)
    headers = {"Authorization": f"Bearer {token}"}
    per_round: dict[str, list[dict[str, float]]] = {name: [] for name in pairs}
    with (
        Server(
            "gunicorn-app-paired",
            gunicorn_argv("guardiannest.wsgi:application", workers),
            env=app,
            ready_path=HEALTH_PATH,
        ) as app_server,
        Server(
            "gunicorn-bare-paired",
            gunicorn_argv("bench.wsgi_bare:application", workers),
            env=bare,
            ready_path=BARE_DRF_PATH,
        ) as bare_server,
    ):
        servers = {"app": app_server, "bare": bare_server}
        for pair in pairs.values():  # warm every endpoint once
            for side, path, needs_token in pair:
                run_wrk(
                    servers[side].url(path),
                    seconds=max(1, config.warmup_s),
                    config=config,
                    headers=headers if needs_token else None,
                )
        for round_number in range(rounds):
            for name, pair in pairs.items():
                order = list(pair)
                shuffler.shuffle(order)
                rps: dict[str, float] = {}
                for side, path, needs_token in order:
                    figures = run_wrk(
                        servers[side].url(path),
                        seconds=config.duration_s,
                        config=config,
                        headers=headers if needs_token else None,
                    )
                    if figures["non_2xx"]:
                        raise BenchError(f"paired {side} {path}: {figures['non_2xx']} non-2xx answers")
                    rps[side] = figures["rps"]
                per_round[name].append(
                    {"app_rps": rps["app"], "baseline_rps": rps["bare"], "ratio": round(rps["app"] / rps["bare"], 3)}
                )
                log(
                    f"paired round {round_number + 1}/{rounds} {name}: {rps['app']:.0f} / {rps['bare']:.0f} req/s "
                    f"= {rps['app'] / rps['bare']:.3f}"
                )
    return {
        "rounds": rounds,
        "seconds_each": config.duration_s,
        "ratios": {name: round(statistics.median(r["ratio"] for r in rows), 3) for name, rows in per_round.items()},
        "per_round": per_round,
    }


def run(config: LoadConfig, workers: int, quiet: float, max_wait: float, paired_rounds: int) -> dict[str, Any]:
    app = app_env("guardiannest.settings")
    bare = app_env("bench.settings_bare")
    prepare_app(app)

    results: dict[str, dict[str, Any]] = {"gunicorn": {}, "uvicorn": {}}
    token = ""
    # (side, server name, argv, env, readiness path, [(result key, path, needs the token)])
    plan: list[tuple[str, str, list[str], dict[str, str], str, list[tuple[str, str, bool]]]] = [
        (
            "gunicorn",
            "gunicorn-app",
            gunicorn_argv("guardiannest.wsgi:application", workers),
            app,
            HEALTH_PATH,
            [("health_live", HEALTH_PATH, False), ("auth_me", ME_PATH, True)],
        ),
        (
            "gunicorn",
            "gunicorn-bare-drf",
            gunicorn_argv("bench.wsgi_bare:application", workers),
            bare,
            BARE_DRF_PATH,
            # The fair baseline of auth/me: its essential work and nothing else (bench/urls_bare.py).
            [("bare_drf", BARE_DRF_PATH, False), ("same_work_me", SAME_WORK_ME_PATH, True)],
        ),
        (
            "uvicorn",
            "uvicorn-app",
            uvicorn_argv("guardiannest.asgi:application", workers),
            app,
            HEALTH_PATH,
            [("health_live", HEALTH_PATH, False), ("auth_me", ME_PATH, True)],
        ),
        (
            "uvicorn",
            "uvicorn-bare-drf",
            uvicorn_argv("bench.asgi_bare:application", workers),
            bare,
            BARE_DRF_PATH,
            [("bare_drf", BARE_DRF_PATH, False)],
        ),
        (
            "uvicorn",
            "uvicorn-bare-asgi",
            uvicorn_argv("bench.bare_asgi:app", workers),
            bare,
            "/",
            [("bare_asgi", "/", False)],
        ),
    ]
    for kind, name, argv, env, ready_path, endpoints in plan:
        wait_for_quiet(quiet, max_wait)
        with Server(name, argv, env=env, ready_path=ready_path) as server:
            if not token and any(needs_token for *_, needs_token in endpoints):
                token = login(server)
                log("logged in as the bench user")
            for key, path, needs_token in endpoints:
                headers = {"Authorization": f"Bearer {token}"} if needs_token else None
                figures = measure(server.url(path), config=config, headers=headers, label=f"{name} {path}")
                if figures["non_2xx"]:
                    # 5xx answers are logged by Django (django.request, ERROR); 4xx are not.
                    server.keep_log = True
                    for line in server.error_lines():
                        log(f"  {name} log: {line}")
                results[kind][key] = figures

    paired = measure_paired(app, bare, config, workers, paired_rounds, token) if paired_rounds else {}
    gunicorn, uvicorn = results["gunicorn"], results["uvicorn"]

    def rps(side: dict[str, Any], key: str) -> float | None:
        return side.get(key, {}).get("rps")

    ratios = {
        "health_live_vs_bare_drf_gunicorn": ratio(rps(gunicorn, "health_live"), rps(gunicorn, "bare_drf")),
        "auth_me_vs_same_work_me_gunicorn": ratio(rps(gunicorn, "auth_me"), rps(gunicorn, "same_work_me")),
        "auth_me_vs_bare_drf_gunicorn": ratio(rps(gunicorn, "auth_me"), rps(gunicorn, "bare_drf")),
        "auth_me_vs_bare_drf_uvicorn": ratio(rps(uvicorn, "auth_me"), rps(uvicorn, "bare_drf")),
        "gunicorn_vs_uvicorn_auth_me": ratio(rps(gunicorn, "auth_me"), rps(uvicorn, "auth_me")),
        "gunicorn_vs_uvicorn_health_live": ratio(rps(gunicorn, "health_live"), rps(uvicorn, "health_live")),
        "gunicorn_vs_uvicorn_bare_drf": ratio(rps(gunicorn, "bare_drf"), rps(uvicorn, "bare_drf")),
        "bare_asgi_vs_uvicorn_bare_drf": ratio(rps(uvicorn, "bare_asgi"), rps(uvicorn, "bare_drf")),
    }
    warnings = [
        f"{kind}.{key}: {figures['non_2xx']} non-2xx answers"
        for kind, side in results.items()
        for key, figures in side.items()
        if figures["non_2xx"]
    ]
    warnings += [
        f"{kind}.{key}: other processes used {figures['background_cpu_busy']:.0%} of the CPU before the run"
        for kind, side in results.items()
        for key, figures in side.items()
        if (figures.get("background_cpu_busy") or 0) > quiet
    ]
    return {
        "benchmark": "http_servers",
        "cores": cores(),
        "load": {"tool": "wrk", **config.as_dict()},
        "workers": workers,
        "versions": versions(),
        "servers": results,
        "ratios": ratios,
        "paired": paired,
        "goals": {
            # Issue 12: the middleware stack costs at most 15% of a bare DRF view ...
            "health_live_at_least_0.85x_bare_drf": (ratios["health_live_vs_bare_drf_gunicorn"] or 0) >= 0.85,
            # ... and auth/me keeps 80% of a view doing only its essential work.
            "auth_me_at_least_0.8x_same_work_view": (ratios["auth_me_vs_same_work_me_gunicorn"] or 0) >= 0.8,
            # The same two, interleaved (measure_paired): what to read on a shared machine.
            "paired_health_live_at_least_0.85x_bare_drf": (
                paired.get("ratios", {}).get("health_live_vs_bare_drf_gunicorn") or 0
            )
            >= 0.85,
            "paired_auth_me_at_least_0.8x_same_work_view": (
                paired.get("ratios", {}).get("auth_me_vs_same_work_me_gunicorn") or 0
            )
            >= 0.8,
            # The authenticated endpoint keeps at least 70% of what DRF alone serves.
            "auth_me_at_least_0.7x_bare_drf": (ratios["auth_me_vs_bare_drf_gunicorn"] or 0) >= 0.7,
            # Serving the Django HTTP path from gunicorn is worth it: 5x uvicorn on /auth/me.
            "gunicorn_at_least_5x_uvicorn": (ratios["gunicorn_vs_uvicorn_auth_me"] or 0) >= 5.0,
        },
        "warnings": warnings,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per endpoint (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per endpoint (default 2)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument(
        "--quiet", type=float, default=0.25, help="wait while other processes use more of the CPU (default 0.25)"
    )
    parser.add_argument("--max-wait", type=float, default=30, help="seconds to wait for quiet per server (default 30)")
    parser.add_argument(
        "--paired-rounds",
        type=int,
        default=4,
        help="rounds of auth/me and /health/live next to their baselines, interleaved (default 4; 0 skips)",
    )
    args = parser.parse_args(argv)
    if not (1 <= args.duration <= 120 and 0 <= args.warmup <= 60 and 1 <= args.workers <= 16):
        parser.error("keep --duration in 1..120, --warmup in 0..60 and --workers in 1..16")
    if not (0 <= args.max_wait <= 600):
        parser.error("keep --max-wait in 0..600")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")

    install_cleanup()
    require_wrk()
    config = LoadConfig(
        threads=args.threads, connections=args.connections, duration_s=args.duration, warmup_s=args.warmup
    )
    try:
        figures = run(config, args.workers, args.quiet, args.max_wait, args.paired_rounds)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 1
    finally:
        stop_all()
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
