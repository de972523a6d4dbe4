"""Writing and verifying the audit chain.

Every app records its state changes with ``audit_record`` inside the same
transaction as the change, so an event exists if and only if the change it
describes was committed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from guardiannest import context
from guardiannest.audit.chain import GENESIS_HASH, compute_hash, normalize_data, normalize_ip
from guardiannest.audit.models import AuditEvent
from guardiannest.middleware import current_request_id

# pg_advisory_xact_lock key that serialises chain writers; "gn.audit" as a
# big-endian bigint. No other code may take an advisory lock with this key.
CHAIN_LOCK_KEY = int.from_bytes(b"gn.audit", "big")

_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_ACTION_MAX = AuditEvent._meta.get_field("action").max_length or 64
_TARGET_TYPE_MAX = AuditEvent._meta.get_field("target_type").max_length or 100
_TARGET_ID_MAX = AuditEvent._meta.get_field("target_id").max_length or 64
_REQUEST_ID_MAX = AuditEvent._meta.get_field("request_id").max_length or 64
VERIFY_CHUNK_SIZE = 2000


def audit_record(
    *,
    action: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    target: models.Model | None = None,
    target_type: str | None = None,
    target_id: str | int | uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
    ip: str | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append one event to the chain and return it.

    ``action`` is dotted lower-case (``"booking.accepted"``). Name the object
    acted on either as ``target`` (a saved model instance) or, when there is no
    instance (it was deleted, it lives elsewhere), as ``target_type`` and
    ``target_id``. ``data`` must be JSON-serialisable (DjangoJSONEncoder) and
    free of personal data. ``ip`` and ``request_id`` default to the current
    request's; outside a request (tasks, commands) they stay empty.

    The event joins the caller's transaction: it rolls back with the change it
    records. Writers are serialised by a transaction-level lock held until the
    caller commits, so call this as the *last* write of a transaction, after
    any ``select_for_update``, to keep the lock short and free of lock-order
    deadlocks. The caller's transaction must be READ COMMITTED (Django's
    default), so the chain head read after the lock is the committed one.

    A failure while writing (which should not happen) leaves the caller's
    transaction unusable rather than letting the change commit unaudited.
    """
    if len(action) > _ACTION_MAX or not _ACTION.match(action):
        raise ValueError(f"Audit action must be dotted lower-case, at most {_ACTION_MAX} characters: {action!r}")
    resolved_type, resolved_id = _resolve_target(target, target_type, target_id)
    if request_id is None:
        request_id = current_request_id()
    event = AuditEvent(
        actor_id=_actor_id(actor),
        action=action,
        target_type=resolved_type,
        target_id=resolved_id,
        # A malformed address (REMOTE_ADDR is whatever the server was handed) is
        # dropped rather than failing the change being recorded.
        ip=normalize_ip(ip if ip is not None else context.client_ip.get()),
        request_id=(request_id or "")[:_REQUEST_ID_MAX],
        data=normalize_data(data if data is not None else {}),
    )
    using = router.db_for_write(AuditEvent)
    # savepoint=False: if the INSERT fails, the caller's transaction is marked
    # for rollback, so its state change cannot commit without its event.
    with transaction.atomic(using=using, savepoint=False):
        lock_chain(connections[using])
        event.prev_hash = chain_head(using=using)
        # Stamped under the lock so time order follows chain order on one clock.
        event.created_at = timezone.now()
        event.hash = compute_hash(event)
        event.save(using=using)
    return event


# How long the running count of a bounded read stays (renewed by each audited read): longer than any window.
READ_COUNT_TTL = 7 * 24 * 3600


def audit_record_read(
    *,
    action: str,
    actor: AbstractBaseUser | AnonymousUser | None,
    scope: str,
    every: int,
    target: models.Model | None = None,
    target_type: str | None = None,
    target_id: str | int | uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Audit a read that may repeat (an app polling): one event per ``scope`` per ``every`` seconds.

    ``scope`` names who read what (reader, target, the booking it was read
    through). Every read is counted; the first read of each window writes the
    event, and its ``data["reads"]`` is this scope's running count, so the trail
    still tells how often the data was read (the reads between two events are
    the difference of their counts). The window is claimed with one atomic
    cache ``add`` (Redis ``SET NX EX``), so racing reads write one event.
    ``every`` 0 (or less) audits every read. Answers the event, or None when
    the read fell inside a window already audited.
    """
    if every <= 0:
        return audit_record(
            action=action, actor=actor, target=target, target_type=target_type, target_id=target_id, data=data
        )
    key = f"audit:read:{action}:{scope}"
    reads = _read_count(f"{key}:reads")
    if not cache.add(f"{key}:window", reads, timeout=every):
        return None
    return audit_record(
        action=action,
        actor=actor,
        target=target,
        target_type=target_type,
        target_id=target_id,
        data={**(data or {}), "reads": reads, "window_seconds": every},
    )


def _read_count(key: str) -> int:
    """Count one more read under ``key`` (atomic INCR) and answer the count."""
    cache.add(key, 0, timeout=READ_COUNT_TTL)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: this read starts the count again
        cache.add(key, 1, timeout=READ_COUNT_TTL)
        return 1


def lock_chain(connection: BaseDatabaseWrapper) -> None:
    """Make concurrent writers take turns until their transaction ends.

    PostgreSQL: a transaction-scoped advisory lock (released at commit or
    rollback). SQLite needs nothing: the project opens every transaction with
    BEGIN IMMEDIATE, which already admits one writer at a time.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def chain_head(*, using: str | None = None) -> str:
    """The hash the next event must point to: the latest event's, or the genesis hash."""
    latest = AuditEvent.objects.using(using).order_by("-id").values_list("hash", flat=True).first()
    return latest if latest is not None else GENESIS_HASH


def _actor_id(actor: AbstractBaseUser | AnonymousUser | None) -> Any:
    if actor is None or not actor.is_authenticated:
        return None
    return actor.pk


def _resolve_target(
    target: models.Model | None, target_type: str | None, target_id: str | int | uuid.UUID | None
) -> tuple[str, str]:
    if target is not None:
        if target_type is not None or target_id is not None:
            raise ValueError("Pass either target or target_type and target_id, not both.")
        if target.pk is None:
            raise ValueError("Save the target before auditing it: it has no primary key yet.")
        # The concrete model's label, so a proxy instance is filed with its row.
        concrete = target._meta.concrete_model or type(target)
        target_type, target_id = concrete._meta.label_lower, target.pk
    if (target_type is None) != (target_id is None):
        raise ValueError("target_type and target_id go together.")
    if target_type is None:
        return "", ""
    resolved_id = str(target_id)
    if not target_type or len(target_type) > _TARGET_TYPE_MAX or not resolved_id or len(resolved_id) > _TARGET_ID_MAX:
        raise ValueError(f"Audit target is empty or too long: {target_type!r} {resolved_id!r}")
    return target_type, resolved_id


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of walking the chain.

    ``count`` is the number of events checked: all of them when ``ok``,
    otherwise up to and including ``broken_id``. ``reason`` says which link
    broke: ``"prev_hash"`` (an event was removed, inserted or reordered before
    it) or ``"hash"`` (the event's own fields were changed).
    """

    ok: bool
    count: int
    broken_id: int | None = None
    reason: str = ""


def audit_verify(*, using: str | None = None) -> VerifyResult:
    """Walk the whole chain in id order and report the first broken event.

    Reads in chunks from one query, so memory stays flat and the walk sees one
    consistent snapshot while writers keep appending. It proves the chain was
    not altered *inside*; removing the newest events leaves a shorter valid
    chain, which only a copy of the head hash kept elsewhere can reveal.
    """
    expected_prev = GENESIS_HASH
    count = 0
    events = AuditEvent.objects.using(using).order_by("id").iterator(chunk_size=VERIFY_CHUNK_SIZE)
    for event in events:
        count += 1
        if event.prev_hash != expected_prev:
            return VerifyResult(ok=False, count=count, broken_id=event.pk, reason="prev_hash")
        if compute_hash(event) != event.hash:
            return VerifyResult(ok=False, count=count, broken_id=event.pk, reason="hash")
        expected_prev = event.hash
    return VerifyResult(ok=True, count=count)
