"""The two delivery lanes: how a kind's deliveries are retried and re-driven, read from the settings.

Kinds delivered from the critical queue (emergencies) take the critical lane: shorter backoffs, more
attempts, a shorter lease and re-drive grace (``MESSAGING_CRITICAL_*``); every other kind the default
lane (``MESSAGING_*``). :mod:`messaging.services.delivery` applies them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from messaging.kinds import QUEUE_CRITICAL, all_kinds, get_kind

LANE_DEFAULT = "default"
LANE_CRITICAL = "critical"


@dataclass(frozen=True)
class Lane:
    """How a kind's deliveries are retried and re-driven (settings ``MESSAGING_*``, ``MESSAGING_CRITICAL_*``)."""

    name: str
    backoff: tuple[int, ...]  # seconds after the 1st, 2nd ... failure; the last repeats
    max_attempts: int
    lease: timedelta  # a row still sending this long after its claim lost its worker
    grace: timedelta  # a due row its task has not claimed by then lost its task


def lane(name: str) -> Lane:
    """The lane called ``name``, read from the settings each time (they may change under tests)."""
    if name == LANE_CRITICAL:
        return Lane(
            name=LANE_CRITICAL,
            backoff=tuple(settings.MESSAGING_CRITICAL_RETRY_BACKOFF_SECONDS),
            max_attempts=settings.MESSAGING_CRITICAL_MAX_ATTEMPTS,
            lease=timedelta(seconds=settings.MESSAGING_CRITICAL_SEND_LEASE_SECONDS),
            grace=timedelta(seconds=settings.MESSAGING_CRITICAL_REDRIVE_GRACE_SECONDS),
        )
    return Lane(
        name=LANE_DEFAULT,
        backoff=tuple(settings.MESSAGING_RETRY_BACKOFF_SECONDS),
        max_attempts=settings.MESSAGING_MAX_ATTEMPTS,
        lease=timedelta(seconds=settings.MESSAGING_SEND_LEASE_SECONDS),
        grace=timedelta(seconds=settings.MESSAGING_REDRIVE_GRACE_SECONDS),
    )


def lane_of(kind_name: str) -> Lane:
    """The critical lane for kinds delivered from the critical queue, the default lane for the others."""
    return lane(LANE_CRITICAL if _queue_of(kind_name) == QUEUE_CRITICAL else LANE_DEFAULT)


def _critical_kinds() -> list[str]:
    return [kind.name for kind in all_kinds() if kind.queue == QUEUE_CRITICAL]


def backoff_seconds(attempts: int, *, backoff: tuple[int, ...] | None = None) -> int:
    """The wait after the ``attempts``-th failed attempt, with up to 10 % jitter so retries spread out."""
    steps = backoff or lane(LANE_DEFAULT).backoff
    base = steps[min(max(attempts, 1), len(steps)) - 1]
    return base + random.randint(0, base // 10)  # noqa: S311 - spreading load, not a secret


def lost_after(lane_name: str = LANE_DEFAULT) -> timedelta:
    """A row of this lane still ``sending`` this long after its claim lost its worker (its lease)."""
    return lane(lane_name).lease


def _queue_of(kind_name: str) -> str:
    try:
        return get_kind(kind_name).queue
    except KeyError:
        return "default"
