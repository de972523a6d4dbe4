"""A signed-in session's user, kept in Redis for a short while: API authentication without a PostgreSQL query.

Every authenticated request needs the answer of the authentication query
(``UserManager.authentication_row``: the user, whether MFA is on, the
session's sign-in method, and that the session is still live). Its answer is
kept per session in Redis for ``AUTH_SNAPSHOT_TTL`` seconds and fetched in the
same write as the request's throttle counts (``guardiannest.cache.RedisBatch``),
so a request pays one Redis round trip instead of that plus a PostgreSQL one.

A snapshot is only as good as its user's **version**: a random token in
Redis, replaced (:func:`invalidate`) whenever anything the query reads
changes: the user's row, any of their sessions, any of their second factors
(``accounts.signals``, and the querysets' bulk ``update``/``delete``). A
snapshot is kept with the version read *before* the database was asked, so a
change racing the query leaves a snapshot that is already stale. The version
is replaced at once and again when the transaction commits, so a request that
reads the database between the two cannot keep the old answer either.

What it guarantees: an ended session, a deactivated or demoted account, a new
or removed second factor are refused or seen on the next request, as without
the snapshot. The one gap: a change made while Redis cannot be reached cannot
replace the version; a snapshot kept before it may then be served until it
expires (``AUTH_SNAPSHOT_TTL``, 60 s by default; 0 turns snapshots off). The
realtime consumer's periodic session check asks the database itself.

Off in the embedded default (no Redis): every request asks the database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from prometheus_client import Counter
from redis.exceptions import RedisError

from guardiannest.cache import RedisBatch

logger = structlog.get_logger("guardiannest.auth_snapshot")

LOOKUPS = Counter(
    "guardiannest_auth_snapshot_lookups_total",
    "Authenticated requests by whether their session's snapshot served them (hit) or the database did.",
    ["outcome"],
)


def _ttl() -> int:
    return int(getattr(settings, "AUTH_SNAPSHOT_TTL", 0))


def enabled() -> bool:
    """Whether snapshots are kept: a TTL above 0, and Redis as the cache."""
    return _ttl() > 0 and hasattr(cache, "raw_client")


def _version_key(user_uuid: uuid.UUID) -> str:
    return cache.make_key(f"auth:version:{user_uuid.hex}")


def _snapshot_key(user_uuid: uuid.UUID, session_uuid: uuid.UUID) -> str:
    return cache.make_key(f"auth:session:{user_uuid.hex}:{session_uuid.hex}")


# --- the row, written as JSON -----------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, uuid.UUID):
        return {"uuid": value.hex}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    raise TypeError(f"no snapshot for a {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "uuid" in value:
            return uuid.UUID(value["uuid"])
        return datetime.fromisoformat(value["datetime"])
    return value


def encode_row(row: Sequence[Any]) -> str:
    """The authentication row as JSON (UUIDs and times tagged, so they come back as they left)."""
    return json.dumps([_encode(value) for value in row], separators=(",", ":"))


def decode_row(text: str | bytes) -> tuple[Any, ...]:
    values = json.loads(text)
    if not isinstance(values, list):
        raise ValueError("a snapshot is a list")
    return tuple(_decode(value) for value in values)


# --- reading and keeping ----------------------------------------------------------------------------


class SnapshotLookup:
    """One request's look-up: its commands ride in ``batch``; ``row()`` after the batch is sent.

    ``row()`` is the snapshot's row when it is current for the user's
    version, else None (the caller asks the database, then ``keep()``s what
    it got). The version command also makes a version for a user without
    one, so the answer the caller keeps is tagged with a version that existed
    before the database was asked.
    """

    def __init__(self, batch: RedisBatch, user_uuid: uuid.UUID, session_uuid: uuid.UUID) -> None:
        self._batch = batch
        self._key = _snapshot_key(user_uuid, session_uuid)
        self._fresh = uuid.uuid4().hex
        self._version: str | None = None
        self._snapshot = batch.add("GET", self._key)
        self._current = batch.add("SET", _version_key(user_uuid), self._fresh, "NX", "GET", "EX", 2 * _ttl())

    def row(self) -> tuple[Any, ...] | None:
        try:
            snapshot = self._batch.reply(self._snapshot)
            current = self._batch.reply(self._current)
        except (RedisError, OSError) as exc:
            logger.warning("auth_snapshot_unavailable", error=type(exc).__name__)
            LOOKUPS.labels(outcome="unavailable").inc()
            return None
        self._version = self._fresh if current is None else _text(current)
        if snapshot is None:
            LOOKUPS.labels(outcome="miss").inc()
            return None
        tag, _, payload = _text(snapshot).partition("|")
        if tag != self._version:
            LOOKUPS.labels(outcome="stale").inc()
            return None
        try:
            row = decode_row(payload)
        except (ValueError, KeyError, TypeError):
            LOOKUPS.labels(outcome="unreadable").inc()
            return None
        LOOKUPS.labels(outcome="hit").inc()
        return row

    def keep(self, row: Sequence[Any]) -> None:
        """Keep the database's row under the version read before it was asked (nothing if Redis failed)."""
        if self._version is None:
            return
        try:
            payload = encode_row(row)
        except TypeError:
            return
        try:
            cache.raw_client().set(self._key, f"{self._version}|{payload}", ex=_ttl())  # type: ignore[attr-defined]
        except (RedisError, OSError) as exc:
            logger.warning("auth_snapshot_not_kept", error=type(exc).__name__)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


# --- making snapshots stale -------------------------------------------------------------------------


def invalidate(user_ids: Iterable[Any]) -> None:
    """Every snapshot of these users is stale from now on, and again once the current transaction commits.

    The second time covers a request that read the database between the
    first and the commit (it kept the old answer under the new version).
    """
    if not enabled():
        return
    ids = {uuid.UUID(str(user_id)) for user_id in user_ids if user_id is not None}
    if not ids:
        return
    _new_versions(ids)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _new_versions(ids), robust=True)


def _new_versions(ids: set[uuid.UUID]) -> None:
    try:
        pipe = cache.raw_client().pipeline(transaction=False)  # type: ignore[attr-defined]
        for user_uuid in ids:
            pipe.set(_version_key(user_uuid), uuid.uuid4().hex, ex=2 * _ttl())
        pipe.execute()
    except (RedisError, OSError) as exc:
        # Nothing else can make them stale: a snapshot kept before this lives to its TTL (module docstring).
        logger.error("auth_snapshot_not_invalidated", users=len(ids), error=type(exc).__name__)


# The columns of each table the authentication query reads, besides the user's own row (all of it): a write
# that touches none of them cannot change its answer, so it leaves the snapshots alone (the test of this
# module checks the compiled query against these).
READ_FIELDS: dict[str, frozenset[str]] = {
    "accounts.UserSession": frozenset({"id", "user", "user_id", "ended_at", "method"}),
    "accounts.TOTPDevice": frozenset({"id", "user", "user_id", "confirmed"}),
}


def _may_change_answer(model: type[models.Model], fields: Iterable[str] | None) -> bool:
    read = READ_FIELDS.get(model._meta.label)
    return read is None or fields is None or not read.isdisjoint(fields)


class InvalidatingQuerySet(models.QuerySet[Any]):
    """A queryset whose writes in bulk make their users' snapshots stale, as a saved or deleted row does.

    ``save`` and ``delete`` of one row send signals (``accounts.signals``);
    ``update``, ``delete``, ``bulk_update`` and ``bulk_create`` of a queryset
    do not, so they do it here. ``user_field`` names the user's id on the row.
    """

    user_field = "user_id"

    def _user_ids(self) -> set[Any]:
        return set(self.order_by().values_list(self.user_field, flat=True))

    def update(self, **kwargs: Any) -> int:
        if not enabled() or not _may_change_answer(self.model, kwargs):
            return super().update(**kwargs)
        users = self._user_ids()
        count = super().update(**kwargs)
        invalidate(users)
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        if not enabled():
            return super().delete()
        users = self._user_ids()
        result = super().delete()
        invalidate(users)
        return result

    def bulk_update(self, objs: Iterable[Any], fields: Iterable[str], batch_size: int | None = None) -> int:
        objs, fields = list(objs), list(fields)
        count = super().bulk_update(objs, fields, batch_size=batch_size)
        if _may_change_answer(self.model, fields):
            invalidate(getattr(obj, self.user_field) for obj in objs)
        return count

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        made = super().bulk_create(objs, *args, **kwargs)
        invalidate(getattr(obj, self.user_field) for obj in made)
        return made


class UserQuerySet(InvalidatingQuerySet):
    user_field = "pk"


def invalidate_for_row(
    sender: type[models.Model], instance: Any, update_fields: Iterable[str] | None = None, **kwargs: Any
) -> None:
    """``post_save`` / ``post_delete`` receiver: the row's user's snapshots are stale, unless no field read moved."""
    if not _may_change_answer(sender, update_fields):
        return
    invalidate([instance.pk if sender._meta.label == settings.AUTH_USER_MODEL else instance.user_id])
