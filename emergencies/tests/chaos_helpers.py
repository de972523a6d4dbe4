"""Support for the chaos tests (test_chaos.py): a Twilio stand-in that fails a share of calls, killable workers.

The stand-in is messaging's (messaging/tests/stand_ins.py: Messages create and
list, as the SDK calls them) answering 500 to a seeded share of every call,
creations and look-ups alike; it can also hold the answer to a message it has
taken, so a worker can be killed at the worst moment: Twilio has the SMS, the
outbox does not know.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.conf import settings as django_settings
from django.db import connection

from emergencies.models import Emergency, EscalationStep, StepStatus
from guardiannest.celery import app
from guardiannest.registries import QUEUE_CRITICAL
from messaging.tests.stand_ins import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, MESSAGES_PATH, _TwilioHandler

EMERGENCY_LINK = re.compile(r"/emergencies/([0-9a-f-]{36})")


# --- Twilio that fails a share of the calls ------------------------------------------------


@dataclass
class Accepted:
    to: str
    body: str
    token: str  # the outbox row's delivery key (I-Twilio-Idempotency-Token)
    sid: str = ""

    @property
    def emergency_id(self) -> str:
        found = EMERGENCY_LINK.search(self.body)
        return found.group(1) if found else ""


@dataclass
class FlakyTwilio:
    """Twilio's Messages API answering 500 to ``failure_rate`` of the calls, drawn from a seeded generator."""

    base_url: str
    failure_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(15))
    lock: threading.Lock = field(default_factory=threading.Lock)
    accepted: list[Accepted] = field(default_factory=list)
    failed: int = 0
    calls: int = 0
    lookups: int = 0
    # A message to this number is taken, then its answer held until ``release`` (its worker is killed meanwhile).
    hold_to: str = ""
    answer_delay: float = 0.0  # seconds between taking a message and answering (Twilio's own latency)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def fail_this_one(self) -> bool:
        with self.lock:
            self.calls += 1
            fail = self.rng.random() < self.failure_rate
            self.failed += fail
            return fail


class _FlakyTwilioHandler(_TwilioHandler):
    flaky: FlakyTwilio
    body = b""

    def read_body(self) -> bytes:
        self.body = super().read_body()
        return self.body

    def send_json(self, status: int, body: Any) -> None:
        if status == 201:  # Twilio took the message: it reaches the phone
            form = parse_qs(self.body.decode())
            accepted = Accepted(
                to=form.get("To", [""])[0],
                body=form.get("Body", [""])[0],
                token=str(self.headers.get("I-Twilio-Idempotency-Token") or ""),
                sid=str(body.get("sid", "")),
            )
            with self.flaky.lock:
                self.flaky.accepted.append(accepted)
            if self.flaky.answer_delay:
                time.sleep(self.flaky.answer_delay)
            if accepted.to == self.flaky.hold_to and not self.flaky.held.is_set():
                self.flaky.held.set()
                self.flaky.release.wait(60)
                with contextlib.suppress(OSError):  # its worker is gone
                    super().send_json(status, body)
                return
        super().send_json(status, body)

    def do_POST(self) -> None:
        if self.path == MESSAGES_PATH and self.flaky.fail_this_one():
            self.read_body()
            return self.send_json(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
        return super().do_POST()

    def do_GET(self) -> None:
        if self.path.startswith(MESSAGES_PATH):
            with self.flaky.lock:
                self.flaky.lookups += 1
            if self.flaky.fail_this_one():
                return self.send_json(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
        return super().do_GET()


# --- real critical workers, killable ---------------------------------------------------------


def _test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Workers:
    """Starts ``celery worker -Q critical`` processes on this test's database and broker; kills them."""

    tmp_path: Path
    twilio: FlakyTwilio
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *, pool: str = "solo", concurrency: int = 1) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "guardiannest.settings_test",
            "DATABASE_URL": _test_database_url(),
            "VAR_DIR": str(self.tmp_path),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE": self.twilio.base_url,
            "TWILIO_STATUS_CALLBACK_URL": "",
            **self.env,
        }
        argv = [sys.executable, "-m", "celery", "-A", "guardiannest", "worker", "-Q", QUEUE_CRITICAL]
        argv += ["-P", pool, "-c", str(concurrency), "-n", f"{name}@chaos-test"]
        argv += ["--without-mingle", "--without-gossip", "-l", "warning"]
        log = (self.tmp_path / f"worker-{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            argv, cwd=django_settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, *names: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        wanted = {f"{name}@chaos-test" for name in names}
        while time.monotonic() < deadline:
            answered = {next(iter(reply)) for reply in app.control.ping(destination=sorted(wanted), timeout=0.5) or []}
            if answered >= wanted:
                return
            for name in names:
                assert self.processes[name].poll() is None, f"worker {name} exited; see {self.tmp_path}"
        pytest.fail(f"workers {names} did not answer within {timeout} s")

    def kill(self, name: str) -> None:
        """SIGKILL: no warm shutdown, nothing given back to the broker."""
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, poll: float = 0.05) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)
    return time.monotonic() - started


def sent_steps(emergency: Emergency) -> list[int]:
    return list(
        EscalationStep.objects.filter(emergency=emergency, status=StepStatus.SENT)
        .order_by("number")
        .values_list("number", flat=True)
    )
