"""The OpenAPI schema tells the truth, judged from outside: schemathesis' CLI with every check against a running server.

As a mobile team would check the schema their clients are generated from: ``manage.py serve`` (the
embedded default of ``make run``: uvicorn, SQLite, in-process worker) on a fresh folder, migrated and
seeded, one more parent signed in through ``auth/login``, then

    st run http://127.0.0.1:<port>/api/schema?format=json -H "Authorization: Bearer <access>" --checks all

with a fixed seed and a bounded number of examples per operation, all four phases (examples,
coverage, fuzzing, stateful). Each run must end with exit code 0: no failure of any check, every
selected operation tested, none errored.

Two runs, so the token stays good: the generator reuses ids it read in answers, and
``DELETE security/sessions/{session_id}`` with the id of the caller's own session ends it (and with it
the access token: every later call would only see 401). So every other operation runs first, the
token is checked to be still good, then that operation runs on its own.

The one rule applied to the results is in ``tests/schemathesis_hooks.py``: a schema-valid request
refused in the problem shape for a named rule on a declared field that a schema cannot express (the
current password, a token only the server issued, a sitter that exists). Throttle rates are raised for
this server only, so the generated calls reach the views instead of a 429.

Complements ``tests/test_schemathesis.py`` (in-process, per operation, on the test PostgreSQL).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ST = [sys.executable, "-m", "schemathesis.cli"]  # the `st` command of this interpreter's schemathesis
HOOKS = ROOT / "tests" / "schemathesis_hooks.py"
SEED = 20261207
MAX_EXAMPLES = 6
EMAIL = "schema.fuzzer@example.com"
PASSWORD = "fuzz-the-schema-2026"
UNLIMITED = "100000/min"
SESSION_ENDING = "DELETE /api/v1/security/sessions/{session_id}"
THROTTLES = ("USER", "ANON", "LOGIN", "REGISTER", "TICKET", "OTP", "RESET", "SMS", "CHAT")

CREATE_USER = f"""
from django.utils import timezone
from accounts.models import Role, User
User.objects.create_user({EMAIL!r}, {PASSWORD!r}, role=Role.PARENT, first_name="Fuzz", last_name="Parent",
                         email_verified_at=timezone.now())
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}: {result.stderr[-3000:]}"


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the server and everything it started (its own process group), then reap it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(15)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``make run``'s server on a fresh folder, seeded, with one more parent for the fuzzer; its base URL."""
    var = tmp_path_factory.mktemp("var")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(var)),
        "VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "guardiannest.settings",
        **{f"THROTTLE_{name}": UNLIMITED for name in THROTTLES},
    }
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "seed_demo")
    _manage(env, "shell", "-c", CREATE_USER)
    port = _free_port()
    log = (var / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped whole, no orphans
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _get_or_none(base + "/health/live") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"manage.py serve did not come up: {(var / 'serve.log').read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        _stop(process)
        log.close()


def _get_or_none(url: str) -> int | None:
    try:
        return _get(url)
    except OSError:
        return None


def _access_token(base: str) -> str:
    request = urllib.request.Request(
        base + "/api/v1/auth/login",
        data=json.dumps({"email": EMAIL, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["access"])


def _me(base: str, access: str) -> int:
    request = urllib.request.Request(base + "/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _st_run(base: str, access: str, where: Path, *selection: str) -> tuple[int, str]:
    """``st run`` with every check over the operations ``selection`` picks; (exit code, report)."""
    command = [
        *ST,
        "run",
        f"{base}/api/schema?format=json",
        "-H",
        f"Authorization: Bearer {access}",
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "2",
        "--no-color",
        *selection,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS), "SCHEMATHESIS_DROPPED_LOG": str(where / "dropped.jsonl")}
    started = time.monotonic()
    result = subprocess.run(command, cwd=where, env=env, capture_output=True, text=True, timeout=600)
    took = time.monotonic() - started
    report = f"st run {' '.join(selection)}: exit {result.returncode} after {took:.0f} s\n"
    return result.returncode, report + result.stdout[-20000:] + result.stderr[-5000:]


def _tested_all(report: str) -> bool:
    selected = re.search(r"Selected: (\d+)/\d+", report)
    tested = re.search(r"Tested: (\d+)", report)
    return bool(selected and tested and selected.group(1) == tested.group(1)) and "Errored:" not in report


def test_schemathesis_finds_no_failure_with_every_check_against_the_running_server(server: str, tmp_path: Path) -> None:
    access = _access_token(server)
    # Every operation but the one that can end the caller's own session (the generator reuses the
    # session id GET security/sessions returns); with the session gone the rest would only see 401.
    code, report = _st_run(server, access, tmp_path, "--exclude-name", SESSION_ENDING)
    assert code == 0 and _tested_all(report), report
    assert _me(server, access) == 200, f"the session ended during the run, later operations saw only 401\n{report}"
    # Then that one, on its own.
    code, report = _st_run(server, access, tmp_path, "--include-name", SESSION_ENDING)
    assert code == 0 and _tested_all(report), report
