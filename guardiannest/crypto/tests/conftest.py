"""Helpers shared by the crypto tests: extra keys and raw reads that bypass the ORM."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.db import connection

from guardiannest.crypto import keys


def make_key(byte: int) -> str:
    return base64.b64encode(bytes([byte]) * 32).decode()


T1_ENTRY = "t1:dGVzdC1rZXktb25lLTMyLWJ5dGVzLWxvbmctISEhISE="  # the ring settings_test.py installs
T2_ENTRY = f"t2:{make_key(2)}"


def raw_row(pk: Any, *columns: str) -> tuple[Any, ...]:
    """The stored column values, read with SQL so no field code runs."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM crypto_testapp_secret WHERE id = %s", [pk])
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def raw_write(pk: Any, column: str, value: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE crypto_testapp_secret SET {column} = %s WHERE id = %s", [value, pk])


@pytest.fixture(autouse=True)
def _fresh_key_caches() -> Any:
    """Start and end every test with the ring parsed from the current settings."""
    keys.reset_caches()
    yield
    keys.reset_caches()
