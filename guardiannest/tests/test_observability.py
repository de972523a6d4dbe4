"""Errors reported to Sentry without personal data (a loopback stand-in receives the envelope), and counted
by type in Prometheus; task outcomes and queue lengths on /metrics."""

from __future__ import annotations

import gzip
import re
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from rest_framework.test import APIClient

from guardiannest.celery import app
from guardiannest.observability import _broker, scrub_event, sentry_init

pytestmark = pytest.mark.django_db

TOKEN = "Bearer test-metrics-token"
EMAIL = "victim.person@example.com"
PASSWORD = "hunter2-correct-horse"
BEARER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXNlY3JldA"
CLIENT_IP = "198.51.100.77"
SESSION = "sessionvalue0123456789abcdef"


class _Collector(BaseHTTPRequestHandler):
    bodies: list[bytes]

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
        elif encoding == "br":  # the SDK's choice when brotli is installed (locust brings it along)
            import brotli

            raw = brotli.decompress(raw)
        self.server.bodies.append(raw)  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def sentry_stand_in() -> Iterator[list[bytes]]:
    """A loopback Sentry: the project's own sentry_init() with a DSN pointing here; the envelopes it got."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.bodies = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sentry_init(
        dsn=f"http://publickey@127.0.0.1:{server.server_port}/42",
        environment="test",
        release=None,
        traces_sample_rate=0.0,
    )
    try:
        yield server.bodies  # type: ignore[attr-defined]
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # no DSN: reporting off again
        server.shutdown()
        server.server_close()


def _sample(body: bytes, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in body.decode().splitlines():
        match = re.match(rf"^{re.escape(name)}\{{(.*)\}} (\S+)$", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


@pytest.mark.urls("guardiannest.tests.urls")
def test_sentry_receives_the_error_with_personal_data_scrubbed(sentry_stand_in: list[bytes]) -> None:
    api = APIClient()
    api.cookies["sessionid"] = SESSION
    response = api.post(
        "/api/v1/test/leaky?email=" + EMAIL,
        {"email": EMAIL, "password": PASSWORD, "phone": "+4915112345678"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {BEARER}",
        HTTP_X_FORWARDED_FOR=CLIENT_IP,
        REMOTE_ADDR=CLIENT_IP,
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)

    # then: an event for the error arrived ...
    envelope = b"\n".join(sentry_stand_in).decode()
    assert '"type":"event"' in envelope.replace(" ", "")
    assert "ValueError" in envelope and "could not sign in" in envelope
    assert "[Filtered]" in envelope
    # ... and nothing personal came with it: not in the message, headers, frame variables or user.
    for secret in (EMAIL, PASSWORD, BEARER, CLIENT_IP, SESSION, "+4915112345678", "victim.person"):
        assert secret not in envelope, secret


def test_the_scrubber_keeps_what_is_not_personal() -> None:
    event = {
        "message": "payment 42 failed for ann@example.org at 10.1.2.3",
        "user": {"id": "u-1", "email": "ann@example.org", "ip_address": "10.1.2.3"},
        "request": {"url": "https://x/api?email=ann@example.org", "cookies": {"a": "b"}, "data": {"p": 1}},
        "extra": {"description": "kept", "headers": [["X-Real-IP", "10.1.2.3"], ["Accept", "json"]]},
    }

    scrubbed = scrub_event(event)

    assert scrubbed["message"] == "payment 42 failed for [Filtered] at [Filtered]"
    assert scrubbed["user"] == {"id": "u-1"}
    assert scrubbed["request"] == {"url": "https://x/api"}
    assert scrubbed["extra"] == {"description": "kept", "headers": [["X-Real-IP", "[Filtered]"], ["Accept", "json"]]}


@pytest.mark.urls("guardiannest.tests.urls")
def test_unhandled_errors_are_counted_by_type_on_metrics(parent_api: APIClient) -> None:
    api = APIClient()
    labels = {"type": "RuntimeError", "where": "http"}
    before = _sample(
        api.get("/metrics", HTTP_AUTHORIZATION=TOKEN).content, "guardiannest_unhandled_exceptions_total", **labels
    )

    assert parent_api.get("/api/v1/test/boom").status_code == 500
    assert parent_api.get("/api/v1/test/boom").status_code == 500

    after = _sample(
        api.get("/metrics", HTTP_AUTHORIZATION=TOKEN).content, "guardiannest_unhandled_exceptions_total", **labels
    )
    assert after - before == 2


@app.task(name="tests.ops_fails")
def ops_fails() -> None:
    raise KeyError("missing")


@app.task(name="tests.ops_succeeds")
def ops_succeeds() -> int:
    return 1


def test_task_outcomes_and_queue_lengths_reach_metrics_from_the_broker() -> None:
    api = APIClient()
    scrape = lambda: api.get("/metrics", HTTP_AUTHORIZATION=TOKEN).content  # noqa: E731
    before = scrape()
    broker = _broker()
    marker = b"ops-test-not-a-task"

    ops_fails.apply()
    ops_succeeds.apply()
    broker.lpush("critical", marker)
    try:
        after = scrape()
    finally:
        broker.lrem("critical", 0, marker)

    failures = "guardiannest_task_failures_total"
    assert _sample(after, failures, task="tests.ops_fails") - _sample(before, failures, task="tests.ops_fails") == 1
    assert _sample(after, "guardiannest_task_last_success_timestamp_seconds", task="tests.ops_succeeds") > 0
    queue = "guardiannest_celery_queue_length"
    assert _sample(after, queue, queue="critical") - _sample(before, queue, queue="critical") == 1
    assert _sample(after, "guardiannest_unhandled_exceptions_total", type="KeyError", where="task") >= 1


def test_figures_an_app_registers_are_computed_at_each_scrape() -> None:
    from guardiannest.observability import sos_unacknowledged_metrics
    from guardiannest.registries import metric_collectors

    api = APIClient()
    waiting = {"count": 2, "oldest_age_seconds": 95.0}
    metric_collectors.register("tests.sos", lambda: sos_unacknowledged_metrics(**waiting))
    metric_collectors.register("tests.broken", lambda: 1 / 0)  # type: ignore[arg-type,return-value]
    try:
        first = api.get("/metrics", HTTP_AUTHORIZATION=TOKEN).content.decode()
        waiting.update(count=0, oldest_age_seconds=0.0)
        second = api.get("/metrics", HTTP_AUTHORIZATION=TOKEN).content.decode()
    finally:
        metric_collectors.unregister("tests.sos")
        metric_collectors.unregister("tests.broken")

    assert "guardiannest_sos_unacknowledged_alerts 2.0" in first
    assert "guardiannest_sos_unacknowledged_oldest_seconds 95.0" in first
    assert "guardiannest_sos_unacknowledged_oldest_seconds 0.0" in second
