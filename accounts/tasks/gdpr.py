"""Celery tasks of the GDPR flows: thin wrappers around ``accounts.services.gdpr``."""

from __future__ import annotations

from celery import shared_task

from accounts.services.gdpr import data_export_build, data_export_purge_expired


@shared_task(name="accounts.data_export_build")
def data_export_build_task(export_id: str) -> bool:
    """Build one pending export; re-running it for a finished or gone export does nothing."""
    return data_export_build(export_id=export_id)


@shared_task(name="accounts.data_export_purge_expired")
def data_export_purge_expired_task() -> int:
    """Beat job: delete export files past their expiry (and give up on builds that died)."""
    return data_export_purge_expired()
