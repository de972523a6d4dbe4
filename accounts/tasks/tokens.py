"""Housekeeping of JWT bookkeeping tables."""

from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.flush_expired_tokens")
def flush_expired_tokens() -> None:
    """The outstanding-token table grows forever unless expired rows are flushed."""
    call_command("flushexpiredtokens")
