"""Real realtime processes for tests: uvicorn (and a Celery worker) on the test database and Redis.

Each runs the test settings against the database pytest-django made (tests
using them need ``django_db(transaction=True)`` so what they write is
committed and visible) and the same Redis database and key prefix as the
test process, in its own process group, stopped (the whole group) however the
test ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment of a child process: the test settings, on the test database."""
    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/guardiannest"))
    database = str(connection.settings_dict["NAME"])
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "guardiannest.settings_test",
            "DATABASE_URL": urlunsplit(url._replace(path=f"/{database}")),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(overrides)
    return env


@dataclass
class Process:
    name: str
    argv: list[str]
    env: Mapping[str, str]
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="gn-test-", suffix=".log")[1]))

    def start(self) -> Process:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches every child
            )
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait)
                break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever the leader left behind
        self.log.unlink(missing_ok=True)


@dataclass
class Realtime(Process):
    port: int = field(default_factory=free_port)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v1"

    def wait_ready(self, timeout: float = 60) -> Realtime:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/live", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f}s:\n{self.output()}")


def realtime_process(name: str, **env: str) -> Realtime:
    """A uvicorn realtime process as compose.yaml runs it."""
    server = Realtime(name=name, argv=[], env=child_environment(**env))
    server.argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "guardiannest.asgi:application",
        "--host=127.0.0.1",
        f"--port={server.port}",
        "--ws=websockets-sansio",
        "--ws-max-size=65536",
        "--lifespan=off",
        "--no-access-log",
        "--log-level=warning",
        "--timeout-graceful-shutdown=2",
    ]
    return server


@contextlib.contextmanager
def running(*processes: Process) -> Iterator[None]:
    """Start them all (in parallel), wait until each answers, stop them all whatever happens."""
    try:
        for process in processes:
            process.start()
        for process in processes:
            if isinstance(process, Realtime):
                process.wait_ready()
        yield
    finally:
        for process in processes:
            process.stop()
