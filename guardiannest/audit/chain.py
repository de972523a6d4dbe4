"""The hash chain: how an event is reduced to canonical bytes and hashed.

An event's hash covers every recorded field plus the previous event's hash, so
changing, removing or reordering any committed event breaks the chain at that
point. The database id is *not* hashed: it is only known after the INSERT, and
the order it gives is already protected by each event naming its predecessor.

Whatever is hashed at write time must hash the same when read back years later,
from PostgreSQL (jsonb, inet) or SQLite (text). So values are normalised before
they are stored (``normalize_data``, ``normalize_ip``) and every read-back
value is put through the same canonical form before hashing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder

if TYPE_CHECKING:
    from guardiannest.audit.models import AuditEvent

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the very first event."""


def _canonical_value(value: Any) -> Any:
    """Fold the few things a JSON round trip through the database does not preserve.

    - A float with an integral value becomes an int: jsonb returns ``1e20`` as
      ``100000000000000000000``, which Python then reads as an int.
    - NUL and lone surrogates are replaced: PostgreSQL refuses both in jsonb, and
      an audit write must not fail the request because a client sent odd bytes.
    """
    if isinstance(value, dict):
        return {_canonical_text(key): _canonical_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical_value(item) for item in value]
    if isinstance(value, str):
        return _canonical_text(value)
    if isinstance(value, float) and value.is_integer():  # NaN and infinity are not: JSON refuses them later
        return int(value)
    return value


def _canonical_text(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def normalize_data(data: Any) -> Any:
    """The value exactly as it will come back from the database.

    Dates, decimals and UUIDs become strings (DjangoJSONEncoder), tuples become
    lists, non-string keys become strings. Anything else that JSON cannot carry
    (a model instance, a set) raises TypeError: pass ids, not objects.
    """
    return _canonical_value(json.loads(json.dumps(data, cls=DjangoJSONEncoder, allow_nan=False)))


def normalize_ip(value: str | None) -> str | None:
    """A canonical address string, or None for a missing or malformed one.

    An IPv4-mapped IPv6 address is stored as the IPv4 address it is (and
    Python changed how it prints those in 3.13, which would otherwise change
    hashes on upgrade); an IPv6 zone id is dropped, as PostgreSQL's inet does.
    """
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Address(int(address)))
    return str(address)


def _canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_bytes(event: AuditEvent) -> bytes:
    """The bytes an event's hash is taken over: sorted-key, compact, ASCII JSON."""
    fields = {
        "action": event.action,
        "actor_id": None if event.actor_id is None else str(event.actor_id),
        "created_at": _canonical_time(event.created_at),
        "data": _canonical_value(event.data),
        "ip": normalize_ip(event.ip),
        "prev_hash": event.prev_hash,
        "request_id": event.request_id,
        "target_id": event.target_id,
        "target_type": event.target_type,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def compute_hash(event: AuditEvent) -> str:
    """Hex SHA-256 of the event's canonical bytes (which include ``prev_hash``)."""
    return hashlib.sha256(canonical_bytes(event)).hexdigest()
