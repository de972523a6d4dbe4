"""In-process timing of Django requests, for benchmarks that look inside a request.

A WSGI caller built from the settings of the moment (or with some middleware
left out), interleaved timing of several scenarios so machine noise falls on
all alike, and cProfile figures grouped by package and by named component.
"""

from __future__ import annotations

import gc
import io
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench._harness import log, summarize

# Self time is charged to the first package whose path fragment matches.
PACKAGES: list[tuple[str, str]] = [
    ("rest_framework_simplejwt", "/rest_framework_simplejwt/"),
    ("rest_framework", "/rest_framework/"),
    ("pyjwt", "/jwt/"),
    ("django.db", "/django/db/"),
    ("django (other)", "/django/"),
    ("psycopg/psycopg_pool", "/psycopg"),
    ("redis-py", "/redis/"),
    ("structlog", "/structlog/"),
    ("django_prometheus/prometheus_client", "prometheus"),
    ("whitenoise", "/whitenoise/"),
    ("corsheaders", "/corsheaders/"),
    ("csp", "/csp/"),
    ("django_otp", "/django_otp/"),
    ("guardiannest", "/guardiannest/"),
    ("accounts", "/accounts/"),
    ("stdlib logging", "/logging/"),
]

# Cumulative time of named functions under cProfile: (label, path fragment, function names).
# Where one name matches several functions (``__init__`` of several classes in one file),
# the largest cumulative time is taken: the outer call, which includes the inner ones.
# Names listed together are added up (they do not call each other).
PROFILED_COMPONENTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("whole request (WSGIHandler.__call__)", "django/core/handlers/wsgi.py", ("__call__",)),
    ("DRF dispatch (auth, throttles, view, render)", "rest_framework/views.py", ("dispatch",)),
    ("JWT authentication", "guardiannest/api/authentication.py", ("authenticate",)),
    ("  JWT validation (PyJWT)", "rest_framework_simplejwt/authentication.py", ("get_validated_token",)),
    ("  user fetch (ORM + 1 SELECT)", "rest_framework_simplejwt/authentication.py", ("get_user",)),
    ("throttles", "rest_framework/views.py", ("check_throttles",)),
    ("  redis.Redis() built per cache call", "redis/client.py", ("__init__",)),
    ("  Redis commands (send + wait)", "redis/client.py", ("execute_command",)),
    ("view + MeSerializer(...).data", "rest_framework/serializers.py", ("data",)),
    ("  ModelSerializer.get_fields (fields rebuilt per instance)", "rest_framework/serializers.py", ("get_fields",)),
    ("  User.mfa_enabled (TOTPDevice EXISTS)", "accounts/models", ("mfa_enabled",)),
    ("SQL execution incl. wait (all queries)", "django/db/backends/utils.py", ("_execute",)),
    ("SQL compilation (all queries)", "django/db/models/sql/compiler.py", ("as_sql",)),
    ("DB connection from pool", "django/db/backends/base/base.py", ("connect",)),
    ("DB connection back to pool (request_finished)", "django/db/__init__.py", ("close_old_connections",)),
    ("JSON rendering", "rest_framework/renderers.py", ("render",)),
    (
        "prometheus After middleware",
        "django_prometheus/middleware.py",
        ("process_request", "process_view", "process_response"),
    ),
    ("CSP header (build_policy)", "csp/utils.py", ("build_policy",)),
    ("request log line (filtered at WARNING)", "structlog/_base.py", ("_proxy_to_logger",)),
]


def profiled_components(raw: dict[Any, Any], n: int) -> dict[str, float]:
    """Cumulative µs per request of PROFILED_COMPONENTS."""
    result = {}
    for label, fragment, names in PROFILED_COMPONENTS:
        total = 0.0
        for name in names:
            matches = [
                cumtime
                for (filename, _line, function), (_cc, _calls, _tt, cumtime, _callers) in raw.items()
                if function == name and fragment in filename
            ]
            total += max(matches, default=0.0)
        result[label] = round(total * 1e6 / n, 1)
    return result


def package_of(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C calls: socket I/O, json, hashing, ...)"
    for name, fragment in PACKAGES:
        if fragment in filename:
            return name
    return "python stdlib / other"


class WsgiCaller:
    """Calls a WSGI application like gunicorn's sync worker: environ in, body read, close()."""

    def __init__(self, application: Callable[..., Any]) -> None:
        self.application = application
        self.status = ""

    def _start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
        self.status = status
        return lambda _data: None

    def __call__(
        self, path: str, headers: dict[str, str] | None = None, *, method: str = "GET", body: bytes = b""
    ) -> tuple[int, bytes]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "50000",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_USER_AGENT": "wrk",
            "HTTP_ACCEPT": "*/*",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if body:
            environ["CONTENT_TYPE"] = "application/json"
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        response = self.application(environ, self._start_response)
        try:
            body = b"".join(response)
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()  # fires request_finished: the DB connection goes back to the pool
        return int(self.status.split(" ", 1)[0]), body


def _wsgi_handler(urlconf: str | None) -> Callable[..., Any]:
    from django.core.handlers.wsgi import WSGIHandler

    if urlconf is None:
        return WSGIHandler()

    class UrlconfHandler(WSGIHandler):
        """Answers from another URLconf, set on each request as a middleware could."""

        def get_response(self, request: Any) -> Any:
            request.urlconf = urlconf
            return super().get_response(request)

    return UrlconfHandler()


def wsgi_application(middleware: list[str] | None = None, urlconf: str | None = None) -> Callable[..., Any]:
    """A Django WSGI application with its own middleware chain and URLconf (several can live in one process)."""
    from django.test.utils import override_settings

    overrides = {} if middleware is None else {"MIDDLEWARE": middleware}
    with override_settings(**overrides):  # the chain is built here, from the settings of the moment
        return _wsgi_handler(urlconf)


def handler(middleware: list[str] | None = None, urlconf: str | None = None) -> WsgiCaller:
    """A WSGI handler with its own middleware chain; handlers built this way can be interleaved."""
    return WsgiCaller(wsgi_application(middleware, urlconf))


@dataclass
class Samples:
    """µs per call on two clocks: wall (what a client waits) and this thread's CPU time.

    Wall includes waiting for PostgreSQL and Redis, and for a CPU when the machine
    is busy; CPU time is what the worker itself spends, and barely moves with
    other processes' load.
    """

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def extend(self, other: Samples) -> None:
        self.wall += other.wall
        self.cpu += other.cpu

    def summary(self) -> dict[str, Any]:
        return {"wall": summarize(self.wall), "cpu": summarize(self.cpu)}


def time_calls(function: Callable[[], Any], n: int, warmup: int) -> Samples:
    """Time ``n`` calls of ``function``; GC is paused while timing so it lands on no single sample."""
    for _ in range(warmup):
        function()
    samples = Samples()
    gc.collect()
    gc.disable()
    try:
        for _ in range(n):
            cpu_started = time.thread_time_ns()
            started = time.perf_counter_ns()
            function()
            samples.wall.append((time.perf_counter_ns() - started) / 1000)
            samples.cpu.append((time.thread_time_ns() - cpu_started) / 1000)
    finally:
        gc.enable()
    return samples


@dataclass
class Scenario:
    caller: WsgiCaller
    path: str
    headers: dict[str, str] | None = None
    before: Callable[[], None] = lambda: None
    after: Callable[[], None] = lambda: None
    samples: Samples = field(default_factory=Samples)


def run_interleaved(scenarios: dict[str, Scenario], n: int, rounds: int) -> dict[str, dict[str, Any]]:
    """Time every scenario in ``rounds`` short blocks, in a new random order each round, so
    drift, other processes' load and position effects hit every scenario alike."""
    per_round = max(1, n // rounds)
    for name, scenario in scenarios.items():
        scenario.before()
        try:
            status, body = scenario.caller(scenario.path, scenario.headers)
        finally:
            scenario.after()
        if status != 200:
            raise SystemExit(f"{name}: {scenario.path} answered {status}: {body[:300]!r}")
    order = list(scenarios.values())
    shuffler = random.Random(20240601)  # fixed seed: runs are comparable
    for round_number in range(rounds):
        shuffler.shuffle(order)  # no scenario always follows the same one, or always comes first
        for scenario in order:
            scenario.before()
            try:
                warmup = 20 if round_number == 0 else 2
                timed = time_calls(lambda s=scenario: s.caller(s.path, s.headers), per_round, warmup=warmup)
                scenario.samples.extend(timed)
            finally:
                scenario.after()
        if (round_number + 1) % 5 == 0:
            log(f"round {round_number + 1}/{rounds}")
    return {name: scenario.samples.summary() for name, scenario in scenarios.items()}
