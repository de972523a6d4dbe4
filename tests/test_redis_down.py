"""Redis stops under a running server: reads go on, sign-in and paid messages refuse, readiness says why.

A private ``redis-server`` on a free port backs ``manage.py serve`` (uvicorn, SQLite); the test kills
it mid-run and then calls the server as a client would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_make_run import ROOT, free_port, serve

METRICS_TOKEN = "redis-down-metrics-token"


def call(
    base: str, path: str, body: dict | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], dict | str]:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            raw, status, answer_headers = (
                response.read().decode(),
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
            )
    except urllib.error.HTTPError as error:
        raw, status, answer_headers = (
            error.read().decode(),
            error.code,
            {k.lower(): v for k, v in error.headers.items()},
        )
    try:
        return status, answer_headers, json.loads(raw)
    except ValueError:
        return status, answer_headers, raw


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed for this test (it is installed with Redis)"
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_a_server_whose_redis_stops_mid_run(redis_server: tuple[subprocess.Popen[bytes], int], tmp_path: Path) -> None:
    redis, port = redis_server
    env = {
        "PATH": os.environ["PATH"],
        "VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "guardiannest.settings",
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "CELERY_BROKER_URL": "memory://",
        "SECRET_KEY": "redis-down-secret-key-0123456789abcdef-0123456789",
        "JWT_SECRET": "redis-down-jwt-secret-0123456789abcdef",
        "FIELD_ENCRYPTION_KEYS": "t1:dGVzdC1rZXktb25lLTMyLWJ5dGVzLWxvbmctISEhISE=",
        "BLIND_INDEX_KEY": "redis-down-blind-index-key",
        "METRICS_TOKEN": METRICS_TOKEN,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_FORMAT": "json",
    }
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, result.stderr
    log = tmp_path / "server.log"
    for base in serve(env, log):
        assert_reads_go_on_and_guarded_calls_refuse_once_redis_stops(base, redis)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    warnings = [line for line in lines if line.get("event") == "throttle_store_unavailable"]
    assert {line["scope"] for line in warnings} >= {"user", "login", "sms", "otp"}


def assert_reads_go_on_and_guarded_calls_refuse_once_redis_stops(base: str, redis: subprocess.Popen[bytes]) -> None:
    credentials = {"email": "parent.anna@guardiannest.demo", "password": "guardian-demo-2026"}
    status, _, tokens = call(base, "/api/v1/auth/login", credentials)
    assert status == 200, tokens
    bearer = {"Authorization": f"Bearer {tokens['access']}"}  # type: ignore[index]
    assert call(base, "/api/v1/auth/me", headers=bearer)[0] == 200

    # when: Redis goes away under the running server
    redis.kill()
    redis.wait(10)

    # then: reads keep working, uncounted
    status, _, me = call(base, "/api/v1/auth/me", headers=bearer)
    assert status == 200, me
    # sign-in, one-time codes and SMS refuse, and say when to come back
    for path, body, headers in (
        ("/api/v1/auth/login", credentials, {}),
        ("/api/v1/phone/verification", {"phone": "+4915123456789"}, bearer),
        ("/api/v1/phone/verification/confirm", {"code": "123456"}, bearer),
    ):
        status, answer_headers, problem = call(base, path, body, headers)
        assert status == 503, (path, problem, answer_headers)
        assert problem["code"] == "service_unavailable", problem  # type: ignore[index]
        assert int(answer_headers.get("retry-after", 0)) > 0, answer_headers
    # readiness names the failing check
    status, _, ready = call(base, "/health/ready")
    assert status == 503 and ready["checks"]["redis"] == {"status": "failing"}  # type: ignore[index]
    assert ready["checks"]["database"]["status"] == "ok"  # type: ignore[index]
    # and operators can count what went through uncounted, and what was refused
    status, _, metrics = call(base, "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200
    assert 'guardiannest_throttle_store_unavailable_total{outcome="allowed",scope="user"}' in str(metrics)
    assert 'guardiannest_throttle_store_unavailable_total{outcome="refused",scope="login"}' in str(metrics)
