"""Gunicorn settings for GuardianNest's HTTP tier: sync workers behind nginx.

Read by the image's default command (``gunicorn -c deploy/gunicorn.conf.py
guardiannest.wsgi:application``) and by the benchmarks. Every setting comes from
the environment, so one file serves a laptop, a benchmark and production.
Options given on the command line override this file.

=============================  ===================================================
GUNICORN_BIND                  address to listen on (``0.0.0.0:8000``)
WEB_CONCURRENCY                worker processes; default ``2 x CPUs + 1``, with the
                               CPUs read from the container's cgroup quota, capped
                               at GUNICORN_MAX_WORKERS (12)
GUNICORN_TIMEOUT               seconds a request may run before its worker is
                               killed and replaced (30)
GUNICORN_GRACEFUL_TIMEOUT      seconds in-flight requests get on shutdown (30)
GUNICORN_MAX_REQUESTS          requests before a worker is recycled (2000) ...
GUNICORN_MAX_REQUESTS_JITTER   ... plus up to this many, so they don't all restart
                               at once (200)
FORWARDED_ALLOW_IPS            front-ends whose forwarded headers count, only with
                               TRUSTED_PROXY on (default then ``*``); none without
LOG_LEVEL, LOG_FORMAT          as for the app; with JSON logs gunicorn's own lines
                               are JSON too
PROMETHEUS_MULTIPROC_DIR       when set, /metrics adds up every worker's figures
=============================  ===================================================

The access log is off: the app logs each request once, as JSON, with its
request id (guardiannest.middleware.RequestIdMiddleware).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cgroup_cpus() -> float | None:
    """CPUs granted by the cgroup quota (``deploy.resources.limits.cpus``), if any."""
    try:  # cgroup v2
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            return int(quota) / int(period)
        return None
    except (OSError, ValueError):
        pass
    try:  # cgroup v1
        quota_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        period_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        if quota_us > 0 and period_us > 0:
            return quota_us / period_us
    except (OSError, ValueError):
        pass
    return None


def available_cpus() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _cgroup_cpus()
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


def default_workers() -> int:
    return min(2 * available_cpus() + 1, _int("GUNICORN_MAX_WORKERS", 12))


# --- server socket and workers ---------------------------------------------------------

bind = [os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")]  # inside a container, behind nginx
backlog = _int("GUNICORN_BACKLOG", 2048)
workers = _int("WEB_CONCURRENCY", 0) or default_workers()
# Sync workers: one request per process at a time. nginx buffers slow clients in
# front of them, so a slow upload or download never ties a worker up.
worker_class = "sync"
threads = 1
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # sync workers close after each response anyway
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# The worker heartbeat lives in memory, not on the container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# Request limits (nginx enforces the body size; these guard the headers).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# No runtime control socket: the container is the unit that gets scaled, and the
# app user has nowhere writable to put it on a read-only root filesystem.
control_socket_disable = True

proc_name = "guardiannest-web"


def _trusted_proxy() -> bool:
    return os.environ.get("TRUSTED_PROXY", "false").strip().lower() in {"1", "true", "yes", "on", "y"}


# The app's one rule (TRUSTED_PROXY, FORWARDED_ALLOW_IPS; guardiannest.api.net.client_ip): forwarded
# headers count only from the configured proxies, never from gunicorn's default (127.0.0.1,::1).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*") if _trusted_proxy() else ""

# --- logging ------------------------------------------------------------------------------

accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
capture_output = False


def _debug() -> bool:
    return os.environ.get("DEBUG", "false").strip().lower() in {"1", "true", "yes", "on", "y"}


def _json_logging() -> dict[str, Any] | None:
    """The app's JSON pipeline for gunicorn's own lines (master and worker lifecycle)."""
    log_format = os.environ.get("LOG_FORMAT") or ("console" if _debug() else "json")
    if log_format != "json":
        return None
    try:
        from guardiannest.logging import build_logging_config
    except ImportError:  # started from elsewhere than the project root
        return None
    config = build_logging_config(level=os.environ.get("LOG_LEVEL", "INFO").upper(), fmt="json")
    config["loggers"].update(
        {
            "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        }
    )
    return config


logconfig_dict = _json_logging() or {}


# --- hooks -----------------------------------------------------------------------------------


def on_starting(server: Any) -> None:
    """Start each run with an empty Prometheus multiprocess folder (stale files double-count)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A recycled worker's live gauges must not linger in /metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
