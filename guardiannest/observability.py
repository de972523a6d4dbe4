"""Errors leave two ways: counted by type in Prometheus, and reported to Sentry with personal data scrubbed.

:data:`UNHANDLED_ERRORS` counts every exception no code handled (a 500 from a view, a failed
Celery task), labelled by its class, so ``rate(...)`` by ``type`` shows what broke since a deploy.

:func:`sentry_init` starts Sentry when ``SENTRY_DSN`` is set. Nothing personal leaves with an
event: no default PII, no request bodies, cookies or query strings; every value under a
sensitive key (password, token, authorization, cookie, email, ip, phone ...) and every email
address, bearer token or IP address found in any string is replaced by ``[Filtered]``,
frame variables included (:func:`scrub_event`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = structlog.get_logger("guardiannest.observability")

UNHANDLED_ERRORS = Counter(
    "guardiannest_unhandled_exceptions",
    "Exceptions no code handled, by exception class and where: http (answered 500) or task (a Celery task failed).",
    ["type", "where"],
)


def count_unhandled(exc: BaseException, where: str) -> None:
    UNHANDLED_ERRORS.labels(type=type(exc).__name__, where=where).inc()


FILTERED = "[Filtered]"
# A key containing one of these has its value replaced, whatever the value is ...
SENSITIVE_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "session",
    "csrf",
    "email",
    "phone",
    "forwarded",
    "remote_addr",
    "api_key",
    "apikey",
    "iban",
    "latitude",
    "longitude",
)
# ... and so has a key with one of these words in it (``ip``, ``x-real-ip``, ``ip_address``).
SENSITIVE_KEY_WORDS = frozenset({"ip", "auth", "otp", "totp", "card", "address", "addr", "dsn"})
_KEY_PARTS = re.compile("|".join(re.escape(part) for part in SENSITIVE_KEY_PARTS), re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")


def sensitive_key(key: str) -> bool:
    lowered = key.lower()
    return bool(_KEY_PARTS.search(lowered)) or not SENSITIVE_KEY_WORDS.isdisjoint(_WORD.findall(lowered))


_SENSITIVE_TEXT = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"  # email addresses
    r"|(?i:bearer|basic)\s+[A-Za-z0-9._~+/=-]+"  # credentials in a header value
    r"|\b(?:\d{1,3}\.){3}\d{1,3}\b"  # IPv4 addresses
    r"|\b(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}\b"  # IPv6 addresses
    r"|\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"  # JWTs
)


def _secrets_in(value: Any, key: str = "", found: set[str] | None = None) -> set[str]:
    """Every string held under a sensitive key anywhere in ``value`` (a frame's ``password`` variable ...)."""
    found = set() if found is None else found
    if isinstance(value, dict):
        for k, v in value.items():
            _secrets_in(v, str(k), found)
    elif isinstance(value, list | tuple):
        if len(value) == 2 and isinstance(value[0], str) and sensitive_key(value[0]):
            _secrets_in(value[1], value[0], found)
        else:
            for item in value:
                _secrets_in(item, key, found)
    elif isinstance(value, str) and key and sensitive_key(key):
        # Sentry shows a variable by its repr: 'hunter2' stands for hunter2.
        text = value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" else value
        if len(text) >= 4 and text != FILTERED:
            found.add(text)
    return found


def _scrub(value: Any, key: str = "", secrets: re.Pattern[str] | None = None) -> Any:
    if key and sensitive_key(key):
        return FILTERED if value not in (None, "", [], {}) else value
    if isinstance(value, str):
        value = _SENSITIVE_TEXT.sub(FILTERED, value)
        return secrets.sub(FILTERED, value) if secrets is not None else value
    if isinstance(value, dict):
        return {k: _scrub(v, str(k), secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # [name, value] pairs (Sentry's header and cookie lists) are scrubbed by their name.
        if len(value) == 2 and isinstance(value[0], str) and sensitive_key(value[0]):
            return [value[0], FILTERED]
        return [_scrub(item, "", secrets) for item in value]
    return value


def _traceback_locals(hint: Any) -> Iterator[dict[str, Any]]:
    """The variables of each frame of the exception behind the event (Sentry has already masked some)."""
    if not isinstance(hint, dict):
        return
    exc_info = hint.get("exc_info")
    record = hint.get("log_record")
    if exc_info is None and record is not None:
        exc_info = getattr(record, "exc_info", None)
        if exc_info is None and isinstance(getattr(record, "msg", None), dict):
            error = record.msg.get("exc_info")  # structlog keeps the exception in the event dict
            exc_info = (type(error), error, error.__traceback__) if isinstance(error, BaseException) else None
    if not exc_info or len(exc_info) != 3:
        return
    tb = exc_info[2]
    while tb is not None:
        yield tb.tb_frame.f_locals
        tb = tb.tb_next


def scrub_event(event: dict[str, Any], hint: Any = None) -> dict[str, Any]:
    """Sentry's ``before_send``: drop the user and request parts that identify someone, scrub the rest.

    A value found under a sensitive key (a ``password`` variable) is also removed wherever else it
    shows: in the exception's message, another variable's repr, a breadcrumb.
    """
    user = event.get("user")
    event["user"] = {"id": user["id"]} if isinstance(user, dict) and user.get("id") else {}
    found = _secrets_in(event)
    for frame_locals in _traceback_locals(hint):
        _secrets_in({str(name): value for name, value in frame_locals.items() if isinstance(value, str)}, "", found)
    secrets = sorted(found, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(secret) for secret in secrets)) if secrets else None
    request = event.get("request")
    if isinstance(request, dict):
        for part in ("cookies", "data", "query_string", "env"):
            request.pop(part, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    return _scrub(event, "", pattern)


def sentry_init(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        # Nothing about the user, no bodies, no SQL parameters; the scrubber below handles the rest.
        data_collection={"user_info": False, "http_bodies": [], "database_query_data": False},
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_event,  # type: ignore[arg-type]
        before_send_transaction=scrub_event,  # type: ignore[arg-type]
        before_breadcrumb=lambda crumb, hint: _scrub(crumb),
    )


# --- figures read at scrape time, shared by every process: queue lengths and task outcomes -----------
# Celery workers serve no /metrics of their own; they note each task's outcome in the broker's Redis,
# and whichever web process Prometheus scrapes reads it back with the queues' lengths.

TASK_FAILURES_KEY = "guardiannest:tasks:failures"
TASK_SUCCEEDED_AT_KEY = "guardiannest:tasks:succeeded_at"


_clients: dict[str, Any] = {}


def _broker() -> Any:
    """A client of the broker's Redis (one per URL and process; redis-py reconnects after a fork)."""
    from django.conf import settings

    url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = _clients.get(url)
    if client is None:
        import redis

        client = _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    return client


def task_outcome_record(*, task: str, failed: bool) -> None:
    """Note a finished task in the broker (Celery's task_success / task_failure signals)."""
    client = _broker()
    if client is None:
        return
    try:
        if failed:
            client.hincrby(TASK_FAILURES_KEY, task, 1)
        else:
            client.hset(TASK_SUCCEEDED_AT_KEY, task, f"{time.time():.3f}")
    except redis_errors() as exc:  # a metric is never worth failing a task for
        logger.warning("task_outcome_not_recorded", task=task, error=str(exc))


def redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError)


def known_queues() -> list[str]:
    from guardiannest.registries import QUEUE_CRITICAL, QUEUE_DEFAULT, task_routes

    return sorted({QUEUE_DEFAULT, QUEUE_CRITICAL, *(queue for _, queue in task_routes.items())})


class BrokerCollector(Collector):
    """``guardiannest_celery_queue_length{queue}``, ``guardiannest_task_failures_total{task}`` and
    ``guardiannest_task_last_success_timestamp_seconds{task}``, read from the broker at each scrape."""

    def collect(self) -> Iterator[Metric]:
        client = _broker()
        if client is None:
            return
        queues = GaugeMetricFamily(
            "guardiannest_celery_queue_length", "Tasks waiting in each Celery queue.", labels=["queue"]
        )
        failures = CounterMetricFamily(
            "guardiannest_task_failures", "Celery tasks that raised, by task name.", labels=["task"]
        )
        succeeded = GaugeMetricFamily(
            "guardiannest_task_last_success_timestamp_seconds",
            "When each Celery task last finished without an error (Unix time).",
            labels=["task"],
        )
        try:
            with client.pipeline(transaction=False) as pipe:
                names = known_queues()
                for name in names:
                    pipe.llen(name)
                pipe.hgetall(TASK_FAILURES_KEY)
                pipe.hgetall(TASK_SUCCEEDED_AT_KEY)
                *lengths, failed, done = pipe.execute()
        except redis_errors() as exc:
            logger.warning("broker_metrics_unavailable", error=str(exc))
            return
        for name, length in zip(names, lengths, strict=True):
            queues.add_metric([name], float(length))
        for task, count in sorted(failed.items()):
            failures.add_metric([task.decode()], float(count))
        for task, at in sorted(done.items()):
            succeeded.add_metric([task.decode()], float(at))
        yield queues
        yield failures
        yield succeeded


SCRAPE_REGISTRY = CollectorRegistry(auto_describe=False)
SCRAPE_REGISTRY.register(BrokerCollector())


# --- figures the apps compute at scrape time (guardiannest.registries.metric_collectors) -------------------


class RegisteredCollectors(Collector):
    """Whatever the apps registered in ``metric_collectors``; one that fails is logged and left out."""

    def collect(self) -> Iterator[Metric]:
        from guardiannest.registries import metric_collectors

        for name, collect in metric_collectors.items():
            try:
                families = list(collect())
            except Exception as exc:
                logger.warning("metric_collector_failed", collector=name, error=str(exc))
                continue
            yield from families


SCRAPE_REGISTRY.register(RegisteredCollectors())


def sos_unacknowledged_metrics(*, count: int, oldest_age_seconds: float) -> list[Metric]:
    """The SOS figures the alert rule SOSNotAcknowledged reads, for emergencies to register::

    metric_collectors.register("emergencies.sos", lambda: sos_unacknowledged_metrics(**unacknowledged()))
    """
    alerts = GaugeMetricFamily(
        "guardiannest_sos_unacknowledged_alerts", "Active SOS alerts nobody has acknowledged yet.", value=count
    )
    oldest = GaugeMetricFamily(
        "guardiannest_sos_unacknowledged_oldest_seconds",
        "Age of the oldest active SOS alert nobody has acknowledged (0 when there is none).",
        value=oldest_age_seconds if count else 0,
    )
    return [alerts, oldest]
