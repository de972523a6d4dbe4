"""Celery tasks: verification (a provider's network call never runs in the sitter's request)."""

from __future__ import annotations

from celery import shared_task

from sitters.services.verification import verification_check_start, verification_checks_redrive
from sitters.verification import ProviderUnavailable


@shared_task(
    name="sitters.verification_check_start",
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=8,
)
def verification_check_start_task(check_id: str) -> bool:
    """Ask the check's provider to start it, once; a gone, decided or started check is left alone."""
    return verification_check_start(check_id=check_id)


@shared_task(name="sitters.verification_checks_redrive")
def verification_checks_redrive_task() -> int:
    """Beat: publish again the start of automated checks whose start task was lost."""
    return verification_checks_redrive()
