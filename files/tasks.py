"""Celery tasks of the files app: thin wrappers around ``files.services``, each idempotent.

A scanner that cannot be reached or a storage hiccup is retried with capped
back-off; the file stays ``pending`` (never served) meanwhile, and the beat
job ``files.file_pending_retry`` picks up whatever the retries gave up on.
"""

from __future__ import annotations

from celery import Task, shared_task

from files import storage
from files.scanning import ScannerUnavailable
from files.services import (
    file_orphans_purge,
    file_pending_retry,
    file_process,
    file_process_failed,
    file_purge_detached,
)

RETRYABLE: tuple[type[Exception], ...] = (ScannerUnavailable, *storage.TRANSIENT_ERRORS)


@shared_task(
    name="files.file_process",
    bind=True,
    autoretry_for=RETRYABLE,
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=8,
)
def file_process_task(self: Task, file_id: str) -> str:
    """Scan, quarantine or process one file; a finished or gone file is left alone."""
    try:
        return file_process(file_id=file_id)
    except RETRYABLE as exc:
        file_process_failed(file_id=file_id, error=f"{exc.__class__.__name__}: {exc}")
        raise


@shared_task(
    name="files.file_objects_delete",
    autoretry_for=storage.TRANSIENT_ERRORS,
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    max_retries=5,
)
def file_objects_delete_task(keys: list[str]) -> int:
    """Delete the objects of a deleted file (a missing object is fine: deleting twice is harmless)."""
    storage.delete([key for key in keys if storage.file_id_of(key) is not None])
    return len(keys)


@shared_task(name="files.file_purge_detached")
def file_purge_detached_task() -> int:
    """Beat job (and right after an erasure): files of erased accounts, and old rejected files."""
    return file_purge_detached()


@shared_task(name="files.file_orphans_purge")
def file_orphans_purge_task() -> int:
    """Beat job: objects no row points at."""
    return file_orphans_purge()


@shared_task(name="files.file_pending_retry")
def file_pending_retry_task() -> int:
    """Beat job: queue again files left pending."""
    return file_pending_retry()
