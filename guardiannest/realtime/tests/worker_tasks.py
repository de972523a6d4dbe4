"""A task for the test Celery worker process (``--include``): it publishes as any task of ours would."""

from __future__ import annotations

from celery import shared_task

from guardiannest.realtime.events import broadcast


@shared_task(name="tests.realtime_broadcast")
def realtime_broadcast(groups: list[str], marker: str) -> None:
    broadcast(groups, "notification.created", {"marker": marker})
