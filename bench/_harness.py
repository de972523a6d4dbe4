"""Shared helpers for the benchmarks in ``bench/``.

- servers: start a server subprocess in its own process group on a free
  loopback port, wait (bounded) until it answers, and always stop the whole
  group again (``Server`` is a context manager; ``stop_all`` runs at exit and
  on SIGTERM/SIGHUP too);
- load: run ``wrk --latency`` (warm-up, then the measured run) and parse its
  report into requests/s and p50/p75/p90/p99 latencies;
- numbers: percentiles and rounding;
- output: ``log`` writes to stderr, ``emit`` prints the one JSON object on stdout;
- GuardianNest setup: the environment every benchmark runs the app with, the
  PostgreSQL database, migrations and the bench user.

Everything listens on and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
HOST = "127.0.0.1"

# --- output ------------------------------------------------------------------------------


class BenchError(RuntimeError):
    """A benchmark cannot go on (a server did not start, wrk failed, ...)."""


def log(message: str) -> None:
    """Progress and diagnostics: stderr only, so stdout stays one JSON object."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(figures: Mapping[str, Any]) -> None:
    """Print the benchmark's figures: exactly one JSON object, on one line, on stdout."""
    sys.stdout.write(json.dumps(figures, sort_keys=False) + "\n")
    sys.stdout.flush()


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def tool(name: str) -> str:
    """A console script from the project's venv (or next to the running interpreter)."""
    for folder in (VENV_BIN, Path(sys.executable).parent):
        candidate = folder / name
        if candidate.exists():
            return str(candidate)
    raise BenchError(f"{name} is not installed in {VENV_BIN}; install requirements/dev.txt into the venv.")


def python() -> str:
    candidate = VENV_BIN / "python"
    return str(candidate) if candidate.exists() else sys.executable


def require_wrk() -> str:
    """The path of wrk, or exit with a message saying how to install it."""
    path = shutil.which("wrk")
    if path is None:
        log("wrk is not installed. Install it with: apt-get update && apt-get install -y wrk")
        sys.exit(2)
    return path


def cpu_busy(interval: float = 0.5) -> float | None:
    """Fraction of the machine's CPU time busy over ``interval`` seconds (/proc/stat; None elsewhere).

    Taken while our own servers idle, it shows what other processes on the
    machine are using: figures measured on a busy machine are low and noisy.
    """

    def snapshot() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(value) for value in stat.readline().split()[1:9]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total_before, idle_before = snapshot()
        time.sleep(interval)
        total_after, idle_after = snapshot()
    except (OSError, ValueError, IndexError):
        return None
    total = total_after - total_before
    return round(1 - (idle_after - idle_before) / total, 3) if total > 0 else None


def wait_for_quiet(threshold: float, max_wait: float) -> float | None:
    """Wait (at most ``max_wait`` s) until other processes use less than ``threshold`` of the CPU."""
    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy is not None and busy > threshold and time.monotonic() < deadline:
        log(f"machine busy: {busy:.0%} CPU used by other processes; waiting (up to {max_wait:.0f}s in all)")
        time.sleep(2)
        busy = cpu_busy()
    if busy is not None and busy > threshold:
        log(f"WARNING machine still {busy:.0%} busy; measuring anyway, figures will be low and noisy")
    return busy


# --- numbers -------------------------------------------------------------------------------


def percentile(values: Sequence[float], point: float) -> float | None:
    """The ``point``-th percentile (0-100) by linear interpolation between ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * max(0.0, min(100.0, point)) / 100
    low, high = math.floor(rank), math.ceil(rank)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def summarize(values: Sequence[float], points: Sequence[float] = (50, 90, 99), digits: int = 1) -> dict[str, Any]:
    """Count, mean and percentiles of ``values`` (keys ``mean``, ``p50``, ...)."""
    summary: dict[str, Any] = {"n": len(values)}
    summary["mean"] = round(sum(values) / len(values), digits) if values else None
    for point in points:
        value = percentile(values, point)
        summary[f"p{point:g}"] = round(value, digits) if value is not None else None
    return summary


def ratio(numerator: float | None, denominator: float | None, digits: int = 3) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, digits)


# --- servers -------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# Loopback only: never route through an http_proxy from the environment.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_request(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: Any = None,
    timeout: float = 5.0,
) -> tuple[int, bytes]:
    """One HTTP request to a loopback URL; returns (status, body) and never raises on 4xx/5xx."""
    if not url.startswith(f"http://{HOST}:"):
        raise BenchError(f"benchmarks talk to {HOST} only, not {url}")
    data = None
    all_headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


_LIVE: set[Server] = set()


@dataclass(eq=False)
class Server:
    """A server subprocess in its own process group (so its workers die with it).

    ``argv`` may contain ``{port}``, replaced by a free port. ``start`` returns
    once ``ready_path`` answers 200 or fails within ``startup_timeout`` seconds.
    """

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    ready_path: str
    startup_timeout: float = 60.0
    stop_timeout: float = 10.0
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    keep_log: bool = False  # set when the log explains something (errors during a run)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> Server:
        self.launch()
        try:
            self._wait_ready()
        except BaseException:
            self.stop(keep_log=True)
            raise
        return self

    def launch(self) -> Server:
        """Start the process and return at once (``start`` also waits until it is ready)."""
        if self.proc is not None:
            # Starting twice would orphan the first process group (``with server.start():`` did exactly that).
            raise BenchError(f"{self.name} is already running (pid {self.proc.pid})")
        argv = [part.replace("{port}", str(self.port)) for part in self.argv]
        handle, name = tempfile.mkstemp(prefix=f"bench-{self.name}-", suffix=".log")
        self.log_path = Path(name)
        log(f"starting {self.name} on {self.base_url}: {' '.join(argv)}")
        with os.fdopen(handle, "wb") as log_file:
            self.proc = subprocess.Popen(
                argv,
                cwd=REPO,
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() reaches every worker
            )
        _LIVE.add(self)
        _STARTED_GROUPS[self.proc.pid] = self.name
        return self

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise BenchError(f"{self.name} exited with {code} while starting:\n{self.log_tail()}")
            try:
                status, _ = http_request(self.url(self.ready_path), timeout=2.0)
            except OSError as exc:  # refused, reset, timed out
                last_error = str(exc)
            else:
                if status == 200:
                    log(f"{self.name} answers on {self.ready_path}")
                    return
                last_error = f"HTTP {status}"
            time.sleep(0.25)
        raise BenchError(
            f"{self.name} did not answer {self.ready_path} within {self.startup_timeout:.0f}s "
            f"({last_error}):\n{self.log_tail()}"
        )

    def log_tail(self, chars: int = 3000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-chars:]

    def error_lines(self, limit: int = 10) -> list[str]:
        """The last lines of the server's log that mention an error (5xx answers are logged)."""
        lines = [
            line for line in self.log_tail(200_000).splitlines() if re.search(r"error|exception|traceback", line, re.I)
        ]
        return [line[:400] for line in lines[-limit:]]

    def stop(self, *, keep_log: bool = False) -> None:
        """SIGTERM the whole process group, then SIGKILL whatever is left; idempotent."""
        proc, self.proc = self.proc, None
        _LIVE.discard(self)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            log(f"{self.name} ignored SIGTERM for {self.stop_timeout:.0f}s; killing it")
        # Workers may outlive the leader: make sure the whole group is gone.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if group_alive(proc.pid, wait=5.0):
            log(f"WARNING {self.name}: processes of group {proc.pid} survived SIGKILL")
        if self.log_path is not None:
            if keep_log or self.keep_log:
                log(f"{self.name} log kept at {self.log_path}")
            else:
                self.log_path.unlink(missing_ok=True)
        log(f"stopped {self.name}")

    def __enter__(self) -> Server:
        return self if self.proc is not None else self.start()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.stop(keep_log=exc_type is not None)


def start_together(servers: Sequence[Server]) -> None:
    """Launch every server at once, then wait until each is ready (their start-ups overlap).

    When one fails to come up, all of them are stopped (logs kept) and the error raised.
    """
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server._wait_ready()
    except BaseException:
        for server in servers:
            server.stop(keep_log=True)
        raise


# Every process group a benchmark started (leader pid -> name), checked at exit.
_STARTED_GROUPS: dict[int, str] = {}


def group_alive(pgid: int, wait: float = 0.0) -> bool:
    """Whether any process of the group is still alive (zombies the kernel still lists count until reaped)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.1)


def leftover_groups() -> dict[int, str]:
    """The groups this benchmark started that still have a process: must be empty when it ends."""
    return {pgid: name for pgid, name in _STARTED_GROUPS.items() if group_alive(pgid)}


def stop_all() -> None:
    """Stop every server still running (at exit, on a signal, after an error), then check none is left."""
    for server in list(_LIVE):
        try:
            server.stop(keep_log=True)
        except Exception as exc:
            log(f"could not stop {server.name}: {exc}")
    left = leftover_groups()
    for pgid, name in left.items():
        log(f"WARNING {name} (process group {pgid}) is still running; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    if _STARTED_GROUPS and not left:
        log(f"no process left behind ({len(_STARTED_GROUPS)} process groups started and stopped)")


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    # Raising unwinds the stack, so every ``finally`` and ``with`` stops its server.
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    """Stop servers on normal exit, on exceptions, and on SIGTERM/SIGHUP (Ctrl-C raises already)."""
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
