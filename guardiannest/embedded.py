"""The embedded default's background jobs: a Celery worker and beat in this process.

With no Redis configured the broker is kombu's in-memory transport, which only
reaches consumers in the same process, so ``manage.py serve`` starts worker
threads (one for the ``default`` queue, one of its own for ``critical``) and a
beat thread beside the web server. Delayed tasks (countdown, ETA)
and periodic tasks run as they would in production, and a task's broadcast
reaches websockets through the same in-memory channel layer. Production runs
``celery worker`` and ``celery beat`` as their own processes instead.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from celery import Celery
from celery.beat import EmbeddedService
from celery.worker import WorkController
from django.conf import settings

logger = structlog.get_logger(__name__)

# Addresses a browser on this machine reaches as "localhost" (the passkeys' RP ID in the embedded default).
_LOCAL_HOSTS = ("", "0.0.0.0", "::", "127.0.0.1", "::1", "localhost")  # noqa: S104 (compared, not bound)


def served_url(host: str, port: int | str) -> str:
    """The http:// address a browser on this machine uses for a server bound to ``host``:``port``."""
    host = host.strip().strip("[]")
    if host in _LOCAL_HOSTS:
        host = "localhost"
    elif ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"http://{host}:{port}"


def links_follow_served(*, host: str, port: int) -> None:
    """Point the links the platform writes (emails, receipts, onboarding) at where ``serve`` listens.

    Only in the embedded default and only for what was not set explicitly:
    ``serve --port`` may differ from the ``PORT`` the settings were read with.
    A set ``FRONTEND_URL`` (and a set Stripe Connect return/refresh URL) wins.
    """
    if not settings.DEV_DEFAULTS or settings.FRONTEND_URL_SET:
        return
    previous, url = settings.FRONTEND_URL, served_url(host, port)
    settings.FRONTEND_URL = url
    for name in ("STRIPE_CONNECT_REFRESH_URL", "STRIPE_CONNECT_RETURN_URL"):
        value = getattr(settings, name)
        if not os.environ.get(name) and value.startswith(f"{previous}/"):  # derived from FRONTEND_URL, not set
            setattr(settings, name, url + value[len(previous) :])


@dataclass
class EmbeddedJobs:
    workers: list[tuple[WorkController, threading.Thread]]
    beat: Any  # celery.beat._Threaded, a Thread with stop()

    @property
    def worker(self) -> WorkController:
        """The worker of the first lane (the one consuming ``queues``)."""
        return self.workers[0][0]

    def stop(self, timeout: float = 10.0) -> None:
        if self.beat is not None:
            self.beat.stop()
        for worker, _ in self.workers:
            worker.stop(in_sighandler=False)
        for _, thread in self.workers:
            thread.join(timeout)


def _worker_start(app: Celery, *, queues: list[str], name: str) -> tuple[WorkController, threading.Thread]:
    worker = app.WorkController(
        concurrency=1,
        pool_cls="solo",
        hostname=f"{name}@localhost",
        queues=queues,
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
        loglevel="INFO",
    )

    def run_worker() -> None:
        # The solo pool looks tasks up on the thread's current app.
        app.set_current()
        worker.start()

    thread = threading.Thread(target=run_worker, name=f"celery-{name}-worker", daemon=True)
    thread.start()
    return worker, thread


def start(
    app: Celery, *, queues: list[str], schedule_file: Path | None, dedicated: list[str] | None = None
) -> EmbeddedJobs:
    """Start a solo-pool worker consuming ``queues``, one more per ``dedicated`` queue, and, with a schedule file, beat.

    A dedicated queue has a worker thread of its own, as it has its own worker
    process in production (compose.yaml): a task there never waits behind a
    long run of tasks on the others. Celery's worker looks tasks up on the
    process's default app (its timer thread runs delayed tasks), so ``app``
    becomes the default: one app per process, as with any worker.
    """
    app.set_default()
    workers = [_worker_start(app, queues=queues, name="embedded")]
    workers += [_worker_start(app, queues=[queue], name=f"embedded-{queue}") for queue in dedicated or ()]
    beat = beat_start(app, schedule_file=schedule_file) if schedule_file is not None else None
    logger.info("embedded_jobs_started", queues=queues, dedicated=dedicated or [], beat=beat is not None)
    return EmbeddedJobs(workers=workers, beat=beat)


def beat_start(app: Celery, *, schedule_file: Path) -> Any:
    """Beat as a thread of this process; it reads the apps' entries as it starts (``guardiannest.celery``)."""
    schedule_file.parent.mkdir(parents=True, exist_ok=True)
    beat: Any = EmbeddedService(app, thread=True, schedule_filename=str(schedule_file))  # a _Threaded
    beat.start()
    return beat
