"""The Celery app.

JSON only; a task is acknowledged after it ran (``acks_late``) and given back
when its worker dies (``task_reject_on_worker_lost``), one message prefetched
at a time, and hard time limits well under the broker's visibility timeout so
a slow task is never delivered twice for being slow. Tasks are enqueued after
commit (``delay_on_commit`` or ``transaction.on_commit``).

Emergency work has its own queue, ``critical``, served by its own worker.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guardiannest.settings")

app = Celery("guardiannest")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _configure() -> None:
    from django.conf import settings

    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.CELERY_TASK_TIME_LIMIT,
        task_soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
        broker_transport_options={
            "visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT,
            # Redeliveries of a poison message stop after a few tries.
            "max_retries": 5,
        },
        broker_connection_retry_on_startup=True,
        task_default_queue="default",
        task_routes={
            "emergencies.*": {"queue": "critical"},
            # Deliveries of emergency kinds (messaging.kinds: queue "critical").
            "messaging.deliver_critical": {"queue": "critical"},
        },
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        beat_schedule={
            "flush-expired-tokens": {
                "task": "accounts.flush_expired_tokens",
                "schedule": crontab(minute=17, hour=3),
            },
            "purge-expired-data-exports": {
                "task": "accounts.data_export_purge_expired",
                "schedule": crontab(minute=41),
            },
            "purge-idempotency-records": {
                "task": "api.idempotency_purge_expired",
                "schedule": crontab(minute=23),
            },
            # files: erased accounts' and old rejected files; objects no row points at; stuck uploads.
            "files-purge-detached": {"task": "files.file_purge_detached", "schedule": crontab(minute=37)},
            "files-orphans-purge": {"task": "files.file_orphans_purge", "schedule": crontab(minute=13, hour=4)},
            "files-pending-retry": {"task": "files.file_pending_retry", "schedule": crontab(minute="*/10")},
            # sitters: availability spans move forward with the calendar; certification expiry reminders.
            "sitters-availability-extend": {
                "task": "sitters.availability_extend",
                "schedule": crontab(minute=7, hour="*/6"),
            },
            "sitters-verification-redrive": {
                "task": "sitters.verification_checks_redrive",
                "schedule": crontab(minute="*/15"),
            },
            "sitters-certification-reminders": {
                "task": "sitters.certification_reminders_send",
                "schedule": crontab(minute=5, hour=8),
            },
            # Outbox rows whose delivery task was lost: nothing lost, nothing sent twice.
            "redrive-deliveries": {
                "task": "messaging.redrive_deliveries",
                "schedule": 60.0,
            },
        },
    )


@app.on_configure.connect
def _on_configure(sender: Celery, **kwargs: object) -> None:
    _configure()


app.autodiscover_tasks(["guardiannest.api", "guardiannest.realtime"])
app.autodiscover_tasks()
