"""The Celery app.

JSON only; a task is acknowledged after it ran (``acks_late``) and given back
when its worker dies (``task_reject_on_worker_lost``), one message prefetched
at a time, and hard time limits well under the broker's visibility timeout so
a slow task is never delivered twice for being slow. Tasks are enqueued after
commit (``delay_on_commit`` or ``transaction.on_commit``).

The apps say which of their tasks run periodically and which go to another
queue than ``default`` (emergency work has its own, ``critical``, served by its
own worker): each registers them in ``guardiannest.registries`` when it loads,
and this module reads the registries, so it names no app. Routes are looked up
when a task is sent, the beat schedule when beat starts
(:class:`RegisteredBeatSchedule`), after Django has loaded every app.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping
from fnmatch import fnmatchcase
from typing import Any, cast

from celery import Celery
from celery.signals import task_failure, task_success

from guardiannest.observability import count_unhandled, task_outcome_record
from guardiannest.registries import QUEUE_DEFAULT, BeatEntry, beat_entries, task_routes

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guardiannest.settings")

app = Celery("guardiannest")
app.config_from_object("django.conf:settings", namespace="CELERY")


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> dict[str, str] | None:
    """Celery's router: the queue an app registered for ``name`` (exact name first, then globs), else none."""
    queue = task_routes.get(name)
    if queue is None:
        queue = next((queue for pattern, queue in task_routes.items() if fnmatchcase(name, pattern)), None)
    return {"queue": queue} if queue is not None else None


class RegisteredBeatSchedule(MutableMapping[str, dict[str, Any]]):
    """Celery's ``beat_schedule``, read through to the entries the apps registered.

    Beat reads the setting when it builds its scheduler, which in every mode
    (``celery beat`` and ``celery worker -B``, which call ``django.setup()``
    through Celery's Django fixup first, and the embedded default's beat thread)
    is after Django has loaded the apps, whereas a copy taken when this module is
    imported would be empty. The ``beat_init`` signal would be too late: Celery
    5.7 builds the scheduler before it sends it. Writes (``add_periodic_task``)
    register an entry like any other.
    """

    def __getitem__(self, name: str) -> dict[str, Any]:
        entry = beat_entries.get(name)
        if entry is None:
            raise KeyError(name)
        return dict(entry)

    def __setitem__(self, name: str, entry: dict[str, Any]) -> None:
        beat_entries.register(name, cast(BeatEntry, entry))

    def __delitem__(self, name: str) -> None:
        if beat_entries.unregister(name) is None:
            raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, _ in beat_entries.items()])

    def __len__(self) -> int:
        return len(beat_entries.items())


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
        task_default_queue=QUEUE_DEFAULT,
        task_routes=(route_task,),
        task_ignore_result=True,
        beat_schedule=RegisteredBeatSchedule(),
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )


@app.on_configure.connect
def _on_configure(sender: Celery, **kwargs: object) -> None:
    _configure()


@task_failure.connect
def _on_task_failure(sender: Any = None, exception: BaseException | None = None, **kwargs: object) -> None:
    name = getattr(sender, "name", "unknown")
    if exception is not None:
        count_unhandled(exception, "task")
    task_outcome_record(task=name, failed=True)


@task_success.connect
def _on_task_success(sender: Any = None, **kwargs: object) -> None:
    task_outcome_record(task=getattr(sender, "name", "unknown"), failed=False)


app.autodiscover_tasks(["guardiannest.api", "guardiannest.realtime"])
app.autodiscover_tasks()
