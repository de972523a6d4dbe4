"""Celery: the broker, and the limits every task runs under.

Star-imported by ``guardiannest.settings`` where the platform's Celery settings stand (Django and
``guardiannest.celery`` read them there); the outbox lanes (``guardiannest.config.providers``) size
their lease from the task time limit.
"""

from __future__ import annotations

from guardiannest.config.environment import REDIS_URL, env

CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND: str | None = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TIMEZONE = "UTC"
# Run the in-process worker and beat (embedded default only; see guardiannest/embedded.py).
CELERY_EMBEDDED = CELERY_BROKER_URL.startswith("memory://")
CELERY_VISIBILITY_TIMEOUT = 3600
CELERY_TASK_TIME_LIMIT = 300  # well under the visibility timeout: a task never runs twice for being slow
CELERY_TASK_SOFT_TIME_LIMIT = 240
