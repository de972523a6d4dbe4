"""The processes bench/sos.py starts besides the web and realtime servers: Celery workers on their queues, a
loopback stand-in for Twilio's Messages API, and the broker they share."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import BENCH_REDIS_URL, app_env
from bench._harness import HOST, BenchError, Server, log, python

UNLIMITED = "1000000000"
TWILIO_SID = "AC" + "5e" * 16
TWILIO_TOKEN = "bench-twilio-auth-token"
CONTACT_PHONES = ("+14155550101", "+14155550202", "+14155550303")
PARTY_SOCKETS = 10  # per party: the parent, the sitter
STAFF_USERS = 4
BULK_EMAILS = 10_000
WARM_UP = 4


def broker_url() -> str:
    """The Celery broker: ``BENCH_BROKER_URL``, else the bench's own Redis database (a stock Redis has 16)."""
    return os.environ.get("BENCH_BROKER_URL") or BENCH_REDIS_URL


# --- the Twilio stand-in ---------------------------------------------------------------------


class TwilioStandIn:
    """Twilio's ``POST /2010-04-01/Accounts/<sid>/Messages.json`` on a loopback port; notes each text's arrival."""

    def __init__(self) -> None:
        self.received: list[tuple[float, str, str]] = []  # (perf_counter, To, Body)
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                arrived = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = urllib.parse.parse_qs(body.decode())
                to = form.get("To", [""])[0]
                if self.path != f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json":
                    return self.answer(404, {"code": 20404, "message": "Not found", "status": 404})
                with stand_in.lock:
                    stand_in.received.append((arrived, to, form.get("Body", [""])[0]))
                    sid = f"SM{len(stand_in.received):032x}"
                self.answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": TWILIO_SID,
                        "to": to,
                        "from": form.get("From", [""])[0],
                        "body": form.get("Body", [""])[0],
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "uri": f"/2010-04-01/Accounts/{TWILIO_SID}/Messages/{sid}.json",
                    },
                )

            def answer(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}"

    def texts(self) -> list[tuple[float, str, str]]:
        with self.lock:
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- processes -------------------------------------------------------------------------------


class CeleryWorker(Server):
    """``celery worker`` in its own process group; ready once it answers a ping on the broker."""

    def _wait_ready(self) -> None:
        from guardiannest.celery import app

        assert self.proc is not None
        node = f"{self.name}@sosbench"
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise BenchError(f"{self.name} exited with {code} while starting:\n{self.log_tail()}")
            if app.control.ping(destination=[node], timeout=1.0):
                log(f"{self.name} answers a ping")
                return
        raise BenchError(f"{self.name} did not answer within {self.startup_timeout:.0f}s:\n{self.log_tail()}")


def worker(queue: str, env: dict[str, str]) -> CeleryWorker:
    argv = [python(), "-m", "celery", "-A", "guardiannest", "worker", "-Q", queue, "-c", "2"]
    argv += ["-n", f"{queue}@sosbench", "--without-mingle", "--without-gossip", "-l", "warning"]
    argv += ["--include", "bench.sos_tasks"]
    return CeleryWorker(queue, argv, env, ready_path="")


def bench_env(twilio: TwilioStandIn, var_dir: str) -> dict[str, str]:
    env = app_env()
    env.update(
        {
            "CELERY_BROKER_URL": broker_url(),
            "VAR_DIR": var_dir,
            "REALTIME_SOCKETS_PER_USER": "100000",
            "REALTIME_CLIENT_RATE": UNLIMITED,
            "REALTIME_CLIENT_BURST": UNLIMITED,
            "REALTIME_SEND_QUEUE": "10000",
            "EMERGENCY_DEDUPE_SECONDS": "0",  # every POST of the run is a new alert
            "EMERGENCY_ESCALATION_SECONDS": "3600",  # no second step during the run
            "SMS_BUDGET_GLOBAL": "1000000/hour",
            "SMS_BUDGET_PER_COUNTRY": "1000000/hour",
            "TWILIO_ACCOUNT_SID": TWILIO_SID,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_FROM_NUMBER": "+15005550006",
            "TWILIO_API_BASE": twilio.base_url,
        }
    )
    return env


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


BROKER_KEYS = ("default", "critical", "unacked", "unacked_index", "unacked_mutex", "_kombu.*")


def clear_broker() -> None:
    """Empty the two queues and what kombu keeps beside them; the cache and channel layer keys stay."""
    import redis

    client = redis.Redis.from_url(broker_url())
    try:
        keys = [key for pattern in BROKER_KEYS for key in client.scan_iter(match=pattern, count=1000)]
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def backlog(queue: str = "default") -> int:
    import redis

    client = redis.Redis.from_url(broker_url())
    try:
        return int(client.llen(queue))
    finally:
        client.close()


# --- data ------------------------------------------------------------------------------------
