"""Canonical form and hashing: stable across the database round trip, sensitive to every field."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from guardiannest.audit.chain import GENESIS_HASH, canonical_bytes, compute_hash, normalize_data, normalize_ip
from guardiannest.audit.models import AuditEvent


def _event(**overrides: Any) -> AuditEvent:
    fields: dict[str, Any] = {
        "created_at": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
        "actor_id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "action": "user.updated",
        "target_type": "accounts.user",
        "target_id": "12345678-1234-5678-1234-567812345678",
        "ip": "198.51.100.9",
        "request_id": "req-1",
        "data": {"fields": ["phone"]},
        "prev_hash": GENESIS_HASH,
    }
    fields.update(overrides)
    return AuditEvent(**fields)


def test_normalize_data_gives_what_json_storage_gives_back() -> None:
    when = dt.datetime(2026, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    data = {
        "amount": Decimal("12.50"),
        "at": when,
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "pair": (1, 2),
        3: "int key",
        "whole": 2.0,
        "huge": 1e20,
        "half": 0.5,
        "flag": True,
        "none": None,
    }
    assert normalize_data(data) == {
        "amount": "12.50",
        "at": "2026-05-06T07:08:09Z",
        "id": "12345678-1234-5678-1234-567812345678",
        "pair": [1, 2],
        "3": "int key",
        "whole": 2,
        "huge": 100000000000000000000,
        "half": 0.5,
        "flag": True,
        "none": None,
    }
    assert isinstance(normalize_data({"whole": 2.0})["whole"], int)
    assert normalize_data({"flag": True})["flag"] is True


def test_normalize_data_replaces_characters_postgresql_refuses() -> None:
    assert normalize_data({"a\x00": ["b\x00c", "lone \ud800 surrogate"]}) == {
        "a\ufffd": ["b\ufffdc", "lone ? surrogate"]
    }


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_normalize_data_refuses_non_finite_numbers(bad: float) -> None:
    with pytest.raises(ValueError):
        normalize_data({"x": bad})


def test_normalize_data_refuses_objects_json_cannot_carry() -> None:
    with pytest.raises(TypeError):
        normalize_data({"tags": {"a", "b"}})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("not an ip", None),
        ("10.0.0.1", "10.0.0.1"),
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
    ],
)
def test_normalize_ip(raw: str | None, expected: str | None) -> None:
    assert normalize_ip(raw) == expected


def test_hash_is_sha256_hex_and_deterministic() -> None:
    first, second = compute_hash(_event()), compute_hash(_event())
    assert first == second
    assert len(first) == 64
    assert int(first, 16) >= 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_at", dt.datetime(2026, 1, 2, 3, 4, 5, 678902, tzinfo=dt.UTC)),
        ("actor_id", None),
        ("action", "user.registered"),
        ("target_type", "bookings.booking"),
        ("target_id", "other"),
        ("ip", "198.51.100.10"),
        ("request_id", "req-2"),
        ("data", {"fields": ["first_name"]}),
        ("prev_hash", "f" * 64),
    ],
)
def test_every_field_is_covered_by_the_hash(field: str, value: Any) -> None:
    assert compute_hash(_event(**{field: value})) != compute_hash(_event())


def test_the_same_instant_in_another_time_zone_hashes_the_same() -> None:
    utc = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    paris = utc.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert compute_hash(_event(created_at=paris)) == compute_hash(_event(created_at=utc))


def test_canonical_bytes_are_sorted_compact_ascii() -> None:
    raw = canonical_bytes(_event(data={"b": "é", "a": 1}))
    assert raw.startswith(b'{"action":"user.updated","actor_id":"12345678-')
    assert b'"data":{"a":1,"b":"\\u00e9"}' in raw
    assert b" " not in raw
