"""Account emails sent by a worker: each task takes ids, re-fetches, and sends at most once."""

from __future__ import annotations

from collections.abc import Callable
from smtplib import SMTPException
from typing import Any

from celery import Task, shared_task
from django.core.cache import cache

from accounts.services import mfa_changed, passwords, verification

# Each task takes ids and re-fetches: the account may have been verified, deactivated or
# erased since it was queued, and then nothing is sent. A redelivered message (same task
# id, e.g. after a worker died) sends nothing twice: a mark in the cache, written after the
# send, remembers it went out. Connection troubles are retried with capped back-off.

EMAIL_SENT_MARK_TTL = 24 * 3600
EMAIL_ERRORS = (SMTPException, ConnectionError, TimeoutError)
EMAIL_BACKOFF, EMAIL_BACKOFF_MAX, EMAIL_MAX_RETRIES = 30, 15 * 60, 6


def _once(task: Task, send: Callable[[], bool]) -> bool:
    key = f"accounts:email-task:{task.request.id}" if task.request.id else None
    if key is not None and cache.get(key):
        return False
    sent = send()
    if key is not None:
        cache.set(key, 1, EMAIL_SENT_MARK_TTL)
    return sent


# Every email task: retried with capped, jittered backoff on delivery errors.
EMAIL_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "autoretry_for": EMAIL_ERRORS,
    "retry_backoff": EMAIL_BACKOFF,
    "retry_backoff_max": EMAIL_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": EMAIL_MAX_RETRIES,
}


@shared_task(
    name="accounts.email_verification_send",
    **EMAIL_TASK_OPTIONS,
)
def email_verification_send_task(self: Task, user_id: str) -> bool:
    """Send the sign-up verification link (nothing once the address is verified)."""
    return _once(self, lambda: verification.email_verification_send(user_id=user_id))


@shared_task(
    name="accounts.password_reset_email_send",
    **EMAIL_TASK_OPTIONS,
)
def password_reset_email_send_task(self: Task, user_id: str) -> bool:
    """Send a password reset link to an account that is still active."""
    return _once(self, lambda: passwords.password_reset_email_send(user_id=user_id))


@shared_task(
    name="accounts.password_changed_email_send",
    **EMAIL_TASK_OPTIONS,
)
def password_changed_email_send_task(self: Task, user_id: str, changed_at: str) -> bool:
    """Tell the owner their password was changed or reset."""
    return _once(self, lambda: passwords.password_changed_email_send(user_id=user_id, changed_at=changed_at))


@shared_task(
    name="accounts.mfa_changed_email_send",
    **EMAIL_TASK_OPTIONS,
)
def mfa_changed_email_send_task(self: Task, user_id: str, change: str, changed_at: str) -> bool:
    """Tell the owner a way into their account changed (two-step sign-in, passkeys, Firebase links)."""
    return _once(
        self, lambda: mfa_changed.mfa_changed_email_send(user_id=user_id, change=change, changed_at=changed_at)
    )
