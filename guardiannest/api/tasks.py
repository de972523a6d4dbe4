from __future__ import annotations

from celery import shared_task

from guardiannest.api.idempotency import idempotency_purge_expired as _purge


@shared_task(name="api.idempotency_purge_expired")
def idempotency_purge_expired() -> int:
    return _purge()
