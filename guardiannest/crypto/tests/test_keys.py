from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from guardiannest.crypto.keys import KeyRing, blind_index_key, check_keys, key_ring, parse_key_ring
from guardiannest.crypto.tests.conftest import T1_ENTRY, T2_ENTRY, make_key


def test_first_entry_is_primary_and_every_entry_decrypts() -> None:
    ring = parse_key_ring(f" {T2_ENTRY} , {T1_ENTRY} ")

    assert ring.primary_kid == "t2"
    assert ring.kids == ("t2", "t1")
    assert ring.keys["t2"] == bytes([2]) * 32
    assert ring.cipher("t1") is not None
    assert ring.cipher("nope") is None


def test_urlsafe_and_unpadded_base64_are_accepted() -> None:
    key = bytes(range(200, 232))  # contains bytes that encode to '+' and '/'
    urlsafe = base64.urlsafe_b64encode(key).decode().rstrip("=")

    ring = parse_key_ring(f"k-1_a:{urlsafe}")

    assert ring.keys["k-1_a"] == key


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (None, "must be a string"),
        (b"t1:abc", "must be a string"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("t1", "entry 1 is not of the form"),
        (f"{T1_ENTRY},", "entry 2 is not of the form"),
        (f":{make_key(1)}", "entry 1 is not of the form"),
        ("t1:", "entry 1 is not of the form"),
        (f"t:1:{make_key(1)}", "not valid base64"),
        (f"bad kid:{make_key(1)}", "key id 'bad kid'"),
        (f"{'k' * 33}:{make_key(1)}", "use 1-32 characters"),
        (f"t1:{make_key(1)},t1:{make_key(2)}", "names the key id 't1' twice"),
        ("t1:not*base64!", "not valid base64"),
        ("t1:" + base64.b64encode(b"x" * 16).decode(), "decodes to 16 bytes"),
        ("t1:" + base64.b64encode(b"x" * 33).decode(), "decodes to 33 bytes"),
    ],
)
def test_malformed_rings_are_refused_naming_the_setting(raw: object, fragment: str) -> None:
    with pytest.raises(ImproperlyConfigured) as excinfo:
        parse_key_ring(raw)

    message = str(excinfo.value)
    assert "FIELD_ENCRYPTION_KEYS" in message
    assert fragment in message


def test_error_messages_never_echo_key_material() -> None:
    short = base64.b64encode(b"super-secret-material").decode()

    with pytest.raises(ImproperlyConfigured) as excinfo:
        parse_key_ring(f"t1:{short}")

    assert short not in str(excinfo.value)


def test_ring_repr_hides_keys() -> None:
    ring = parse_key_ring(T2_ENTRY)

    assert "t2" in repr(ring)
    assert str(bytes([2]) * 32) not in repr(ring)
    assert make_key(2) not in repr(ring)


def test_primary_must_be_in_the_ring() -> None:
    with pytest.raises(ValueError, match="primary kid"):
        KeyRing(primary_kid="x", keys={"t1": bytes(32)})


def test_ring_is_cached_and_follows_override_settings(settings: Any) -> None:
    first = key_ring()
    assert key_ring() is first
    assert first.primary_kid == "t1"

    settings.FIELD_ENCRYPTION_KEYS = f"{T2_ENTRY},{T1_ENTRY}"

    assert key_ring().primary_kid == "t2"


def test_unrelated_setting_change_keeps_the_cache(settings: Any) -> None:
    first = key_ring()

    settings.SOME_OTHER_SETTING = 1

    assert key_ring() is first


def test_malformed_ring_from_settings_raises_on_use(settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEYS = "t1:short"

    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        key_ring()


@pytest.mark.parametrize("value", [None, "", "too-short", 12345])
def test_blind_index_key_must_be_long_enough(settings: Any, value: object) -> None:
    settings.BLIND_INDEX_KEY = value

    with pytest.raises(ImproperlyConfigured, match="BLIND_INDEX_KEY"):
        blind_index_key()


def test_system_check_reports_broken_keys(settings: Any) -> None:
    assert check_keys() == []

    settings.FIELD_ENCRYPTION_KEYS = "t1"
    settings.BLIND_INDEX_KEY = "short"
    errors = check_keys()

    assert [e.id for e in errors] == ["crypto.E010", "crypto.E011"]
    assert "FIELD_ENCRYPTION_KEYS" in errors[0].msg


def test_system_check_is_registered() -> None:
    from django.core import checks

    assert check_keys in checks.registry.registry.get_checks()
