"""Operators' endpoints: liveness, readiness with named checks, external services for staff."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback TCP server; answers clamd's PING like clamd does."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    data = conn.recv(64)
                except (TimeoutError, OSError):
                    continue
                received.append(data)
                if data == b"zPING\0":
                    conn.sendall(b"PONG\0")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join(2)
    server.close()


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_live_touches_nothing(api: APIClient) -> None:
    response = api.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_ready_checks_database_redis_broker_and_storage(api: APIClient) -> None:
    response = api.get("/health/ready")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert {name: check["status"] for name, check in checks.items()} == {
        "database": "ok",
        "redis": "ok",
        "broker": "ok",
        "storage": "ok",
    }


def test_ready_is_503_and_names_redis_when_it_is_down(api: APIClient, settings) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = api.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["redis"]["status"] == "failing"
    assert body["checks"]["database"]["status"] == "ok"


def test_ready_tells_anonymous_callers_ok_or_failing_and_staff_the_details(
    api: APIClient, staff_api: APIClient, settings
) -> None:
    """A failing database's exception names its host and user: only staff may read it."""
    settings.REDIS_URL = f"redis://secret-host.internal:{closed_port()}/0"

    anonymous = api.get("/health/ready").json()["checks"]
    staff = staff_api.get("/health/ready").json()["checks"]

    assert anonymous["redis"] == {"status": "failing"} and anonymous["database"] == {"status": "ok"}
    assert "secret-host" not in str(anonymous)
    assert staff["redis"]["status"] == "failing" and staff["redis"]["error"]
    assert "time_ms" in staff["database"]


def test_ready_is_503_and_names_the_broker_when_it_is_down(api: APIClient, settings) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = api.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "failing"


def test_ready_reports_embedded_parts_as_embedded(api: APIClient, settings) -> None:
    settings.REDIS_URL = ""
    settings.CELERY_EMBEDDED = True
    checks = api.get("/health/ready").json()["checks"]
    assert checks["redis"] == {"status": "embedded"} and checks["broker"] == {"status": "embedded"}


def test_services_is_for_staff_only(api: APIClient, parent_api: APIClient) -> None:
    assert api.get("/health/services").status_code == 401
    assert parent_api.get("/health/services").status_code == 403


def test_services_reports_unconfigured_services_and_process_figures(staff_api: APIClient, settings) -> None:
    settings.CLAMAV_URL = ""  # make test starts a clamd for the files tests
    staff_api.get("/health/live")
    body = staff_api.get("/health/services").json()
    assert set(body["services"]) == {"stripe", "smtp", "twilio", "fcm", "clamav", "s3"}
    assert all(service["status"] == "not_configured" for service in body["services"].values())
    assert body["process"]["memory"]["rss_mb"] > 0
    assert set(body["process"]["response_time_ms"]) == {"p50", "p95", "p99"}
    assert body["process"]["samples"] >= 1


def test_services_reports_reachable_and_failing(staff_api: APIClient, settings, listener) -> None:
    port, received = listener
    settings.CLAMAV_URL = f"tcp://127.0.0.1:{port}"
    settings.SMTP_HOST = "127.0.0.1"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    services = staff_api.get("/health/services").json()["services"]
    assert services["clamav"]["status"] == "reachable"
    assert b"zPING\0" in received
    assert services["stripe"]["status"] == "reachable"
    assert services["smtp"]["status"] == "failing"
    assert services["twilio"]["status"] == "not_configured"


def test_a_clamd_that_does_not_answer_pong_is_failing(staff_api: APIClient, settings) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def wrong_answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(16)
            conn.sendall(b"NOPE\0")

    thread = threading.Thread(target=wrong_answer, daemon=True)
    thread.start()
    settings.CLAMAV_URL = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    services = staff_api.get("/health/services").json()["services"]
    thread.join(2)
    server.close()
    assert services["clamav"]["status"] == "failing"


def test_metrics_are_not_public(api: APIClient, parent_api: APIClient) -> None:
    assert api.get("/metrics").status_code == 404
    assert parent_api.get("/metrics").status_code == 404
    assert api.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 404


def test_metrics_for_the_scraper_token(api: APIClient) -> None:
    api.get("/health/live")
    response = api.get("/metrics", HTTP_AUTHORIZATION="Bearer test-metrics-token")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


def test_metrics_for_a_staff_session(client, staff) -> None:
    client.force_login(staff)
    assert client.get("/metrics").status_code == 200
