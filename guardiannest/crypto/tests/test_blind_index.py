from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from guardiannest.crypto.blind_index import blind_index, normalize_default

PURPOSE = "accounts.user.email"


def test_is_deterministic_hex_sha256() -> None:
    first = blind_index("ana@example.com", purpose=PURPOSE)

    assert first == blind_index("ana@example.com", purpose=PURPOSE)
    assert re.fullmatch(r"[0-9a-f]{64}", first)


def test_matches_hmac_under_the_hkdf_derived_purpose_key() -> None:
    # Pins the construction: changing it would orphan every stored index.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"guardiannest/blind-index/v1/" + PURPOSE.encode())
    expected = hmac.new(key.derive(b"test-blind-index-key"), b"ana@example.com", hashlib.sha256).hexdigest()

    assert blind_index("ana@example.com", purpose=PURPOSE) == expected


def test_normalises_case_whitespace_and_unicode_forms() -> None:
    expected = blind_index("ana@example.com", purpose=PURPOSE)

    assert blind_index("  Ana@Example.COM\n", purpose=PURPOSE) == expected
    assert blind_index("\uff41\uff4e\uff41@example.com", purpose=PURPOSE) == expected  # fullwidth letters (NFKC)
    assert normalize_default(" Straße ") == "strasse"


def test_normalisation_can_be_replaced_or_switched_off() -> None:
    assert blind_index("Ana", purpose=PURPOSE, normalize=None) != blind_index("ana", purpose=PURPOSE, normalize=None)
    digits_only = blind_index("+44 20 7946", purpose="p", normalize=lambda v: re.sub(r"\D", "", v))
    assert digits_only == blind_index("44207946", purpose="p", normalize=None)


def test_differs_by_value() -> None:
    assert blind_index("ana@example.com", purpose=PURPOSE) != blind_index("ana@example.org", purpose=PURPOSE)


def test_differs_by_purpose() -> None:
    assert blind_index("ana@example.com", purpose=PURPOSE) != blind_index(
        "ana@example.com", purpose="sitters.ref.email"
    )


def test_differs_by_key(settings: Any) -> None:
    before = blind_index("ana@example.com", purpose=PURPOSE)

    settings.BLIND_INDEX_KEY = "another-blind-index-key"

    assert blind_index("ana@example.com", purpose=PURPOSE) != before


def test_rejects_non_strings_and_empty_purpose() -> None:
    with pytest.raises(TypeError):
        blind_index(42, purpose=PURPOSE)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="purpose"):
        blind_index("x", purpose="")
