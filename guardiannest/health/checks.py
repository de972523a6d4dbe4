"""Readiness checks (database, Redis, broker, storage) and external-service probes.

Readiness answers whether this process can serve: a failing check makes the
load balancer take it out. External services (Stripe, SMTP, Twilio, FCM,
ClamAV, S3) are reported to staff, never used to fail readiness.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from asgiref.sync import async_to_sync
from django.conf import settings
from health_check.base import HealthCheck, HealthCheckResult
from health_check.checks import Database, Storage
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from redis.asyncio import Redis as AsyncRedis


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (skipped for the in-process broker)."""

    def run(self) -> None:
        from guardiannest.celery import app

        try:
            with app.connection_for_write(url=settings.CELERY_BROKER_URL) as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            raise ServiceUnavailable("The broker cannot be reached.") from exc


def readiness_checks() -> dict[str, HealthCheck]:
    checks: dict[str, HealthCheck] = {"database": Database(), "storage": Storage()}
    if settings.REDIS_URL:
        url = settings.REDIS_URL
        checks["redis"] = Redis(client_factory=lambda: AsyncRedis.from_url(url, socket_connect_timeout=2))
    if not settings.CELERY_EMBEDDED:
        checks["broker"] = Broker()
    return checks


async def _gather(checks: dict[str, HealthCheck]) -> list[HealthCheckResult]:
    import asyncio

    return list(await asyncio.gather(*(check.get_result() for check in checks.values())))


def run_readiness() -> tuple[bool, dict[str, dict[str, Any]]]:
    checks = readiness_checks()
    results = async_to_sync(_gather)(checks)
    report: dict[str, dict[str, Any]] = {}
    for name, result in zip(checks, results, strict=True):
        report[name] = {
            "status": "ok" if result.error is None else "failing",
            "time_ms": round(result.time_taken * 1000, 1),
        }
        if result.error is not None:
            report[name]["error"] = str(result.error)
    for name in ("redis", "broker"):
        report.setdefault(name, {"status": "embedded"})
    return all(item["status"] != "failing" for item in report.values()), report


# --- external services ------------------------------------------------------------


def _tcp_reachable(host: str, port: int, timeout: float = 2.0) -> None:
    with socket.create_connection((host, port), timeout=timeout):
        pass


def _probe_url(url: str, default_port: int) -> Callable[[], None]:
    parsed = urlparse(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else default_port)
    return lambda: _tcp_reachable(host, port)


def _clamav_probe() -> None:
    parsed = urlparse(settings.CLAMAV_URL)
    if parsed.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(2)
        sock.connect(parsed.path)
    else:
        sock = socket.create_connection((parsed.hostname or "", parsed.port or 3310), timeout=2)
    with sock:
        sock.sendall(b"zPING\0")
        if not sock.recv(16).startswith(b"PONG"):
            raise ServiceUnavailable("clamd did not answer PONG")


def external_services() -> dict[str, tuple[bool, Callable[[], None] | None]]:
    """name → (configured, probe). A probe raises when the service cannot be reached."""
    s3_endpoint = getattr(settings, "AWS_S3_ENDPOINT_URL", None) or "https://s3.amazonaws.com"
    stripe_base = settings.STRIPE_API_BASE or "https://api.stripe.com"
    twilio_base = settings.TWILIO_API_BASE or "https://api.twilio.com"
    return {
        "stripe": (bool(settings.STRIPE_SECRET_KEY), _probe_url(stripe_base, 443)),
        "smtp": (
            bool(settings.SMTP_HOST),
            (lambda: _tcp_reachable(settings.EMAIL_HOST, settings.EMAIL_PORT)) if settings.SMTP_HOST else None,
        ),
        "twilio": (bool(settings.TWILIO_ACCOUNT_SID), _probe_url(twilio_base, 443)),
        "fcm": (
            bool(settings.FIREBASE_PROJECT_ID),
            _probe_url(settings.FIREBASE_FCM_API_BASE or "https://fcm.googleapis.com", 443),
        ),
        "clamav": (bool(settings.CLAMAV_URL), _clamav_probe if settings.CLAMAV_URL else None),
        "s3": (bool(settings.AWS_STORAGE_BUCKET_NAME), _probe_url(s3_endpoint, 443)),
    }


def run_service_probes() -> dict[str, dict[str, Any]]:
    report: dict[str, dict[str, Any]] = {}
    for name, (configured, probe) in external_services().items():
        if not configured or probe is None:
            report[name] = {"status": "not_configured"}
            continue
        started = time.perf_counter()
        try:
            probe()
        except Exception as exc:
            report[name] = {"status": "failing", "error": type(exc).__name__}
        else:
            report[name] = {"status": "reachable"}
        report[name]["time_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return report
