"""``manage.py serve``: the embedded default in one process (``make run``).

uvicorn serves HTTP, websockets, the admin and the docs; when the broker is
in-memory, a Celery worker and beat run as threads beside it. Production
serves HTTP with gunicorn and websockets with uvicorn instead (compose.yaml).
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand

from guardiannest import embedded
from guardiannest.registries import QUEUE_CRITICAL, QUEUE_DEFAULT


class Command(BaseCommand):
    help = "Serve API, websockets, admin and docs from one uvicorn process (embedded default)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        embedded.links_follow_served(host=host, port=port)
        jobs = None
        if settings.CELERY_EMBEDDED:
            from guardiannest.celery import app

            # The critical queue (SOS and escalation) has a worker thread of its own, as it has its own
            # worker process in production: an SOS never waits behind bulk email.
            jobs = embedded.start(
                app,
                queues=[QUEUE_DEFAULT],
                dedicated=[QUEUE_CRITICAL],
                schedule_file=settings.VAR_DIR / "celerybeat-schedule",
            )
        try:
            uvicorn.run(
                "guardiannest.asgi:application",
                host=host,
                port=port,
                lifespan="off",
                log_config=None,
                access_log=False,
                ws_max_size=65_536,
                # uvicorn would take X-Forwarded-For from any loopback peer by default: a local
                # client could pick its own address. The app alone reads that header, from the
                # configured proxies only (guardiannest.api.net.client_ip).
                proxy_headers=False,
            )
        finally:
            if jobs is not None:
                jobs.stop()
