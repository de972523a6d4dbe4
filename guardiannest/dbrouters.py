"""Reads that may lag go to the read replica; everything else stays on ``default``.

With ``DATABASE_REPLICA_URL`` set, settings add the ``replica`` alias and this
router. A caller opts a block of reads in with :func:`replica_reads` (the
analytics selectors do): inside it, reads go to the replica; writes never do,
and nothing else is routed, so a request's own writes are always read back
from the primary. Without the alias the block changes nothing. The router
knows no app: a caller says which of its reads may be a few seconds stale.

:func:`replica_read` runs a read that way and, when the replica cannot answer
(down, or a hot standby cancelling the statement for a conflict with
recovery), logs it and runs the read again on the primary: staff figures stay
available, at the primary's cost, until the replica is back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import structlog
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, router

REPLICA = "replica"
T = TypeVar("T")

logger = structlog.get_logger("guardiannest.dbrouters")

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the reads made inside the block to the replica, when there is one. Evaluate querysets inside it."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _routed() -> bool:
    return replica_configured() and any(isinstance(each, ReplicaRouter) for each in router.routers)


def replica_read(read: Callable[[], T]) -> T:
    """``read()`` with its queries on the replica (see :func:`replica_reads`); on the primary if the replica fails.

    ``read`` must only read, and evaluate its querysets: it may run twice.
    """
    if not _routed():
        return read()
    try:
        with replica_reads():
            return read()
    except OperationalError as error:
        logger.warning("replica_unavailable_read_primary", error=str(error).strip()[:200])
        connections[REPLICA].close()
        return read()


class ReplicaRouter:
    """Reads inside :func:`replica_reads` to ``replica``; writes and migrations to ``default`` only."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if _replica_reads.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read there may be related to one read here.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A replica follows the primary's schema by replication; never migrate it directly.
        return False if db == REPLICA else None
