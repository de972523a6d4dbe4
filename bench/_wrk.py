"""Load with wrk: run it (warm-up, then the measured run) and read its ``--latency`` report."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench._harness import HOST, BenchError, cpu_busy, http_request, log, require_wrk

# --- load: wrk -----------------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY_LINE = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+(\d+(?:\.\d+)?)(us|ms|s|m|h)\s*$")
_RPS_LINE = re.compile(r"^Requests/sec:\s+(\d+(?:\.\d+)?)\s*$", re.M)
_TOTAL_LINE = re.compile(r"^\s*(\d+) requests in (\d+(?:\.\d+)?)(us|ms|s|m|h)", re.M)
_NON_2XX_LINE = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS_LINE = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class LoadConfig:
    threads: int = 2
    connections: int = 64
    duration_s: int = 10
    warmup_s: int = 2
    timeout_s: int = 5

    def as_dict(self) -> dict[str, int]:
        return {
            "threads": self.threads,
            "connections": self.connections,
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
        }


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, latency percentiles (ms), totals and errors from a ``wrk --latency`` report."""
    latencies: dict[str, float] = {}
    in_distribution = False
    for line in output.splitlines():
        if "Latency Distribution" in line:
            in_distribution = True
            continue
        if in_distribution:
            match = _LATENCY_LINE.match(line)
            if not match:
                in_distribution = False
                continue
            point, value, unit = match.groups()
            latencies[f"p{float(point):g}_ms"] = round(float(value) * _UNIT_MS[unit], 3)
    rps = _RPS_LINE.search(output)
    total = _TOTAL_LINE.search(output)
    if rps is None or total is None or "p50_ms" not in latencies or "p99_ms" not in latencies:
        raise BenchError(f"cannot read wrk's report:\n{output}")
    non_2xx = _NON_2XX_LINE.search(output)
    socket_errors = _SOCKET_ERRORS_LINE.search(output)
    return {
        "rps": round(float(rps.group(1)), 1),
        **latencies,
        "requests": int(total.group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def run_wrk(url: str, *, seconds: int, config: LoadConfig, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One wrk run against ``url``; raises BenchError if wrk fails or cannot be read."""
    if not url.startswith(f"http://{HOST}:"):
        raise BenchError(f"benchmarks load {HOST} only, not {url}")
    argv = [
        require_wrk(),
        f"-t{config.threads}",
        f"-c{config.connections}",
        f"-d{seconds}s",
        f"--timeout={config.timeout_s}s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    # run() kills wrk if we time out or are interrupted.
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + config.timeout_s + 30, check=False)
    if result.returncode != 0:
        raise BenchError(f"wrk exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return parse_wrk(result.stdout)


def measure(
    url: str, *, config: LoadConfig, headers: Mapping[str, str] | None = None, label: str = ""
) -> dict[str, Any]:
    """Warm up, then measure; logs the figures and warns about non-2xx answers or socket errors."""
    status, body = http_request(url, headers=headers)
    if status != 200:
        raise BenchError(f"{label or url}: expected 200 before loading it, got {status}: {body[:300]!r}")
    background = cpu_busy()  # our server idles now: this is everybody else
    if config.warmup_s > 0:
        run_wrk(url, seconds=config.warmup_s, config=config, headers=headers)
    figures = run_wrk(url, seconds=config.duration_s, config=config, headers=headers)
    figures["background_cpu_busy"] = background
    log(
        f"{label or url}: {figures['rps']:.0f} req/s, p50 {figures['p50_ms']:.2f} ms, "
        f"p99 {figures['p99_ms']:.2f} ms, non-2xx {figures['non_2xx']}, socket errors {figures['socket_errors']}, "
        f"background CPU {background if background is None else f'{background:.0%}'}"
    )
    if figures["non_2xx"]:
        log(f"WARNING {label or url}: {figures['non_2xx']} non-2xx answers; the figures measure errors too")
    return figures
