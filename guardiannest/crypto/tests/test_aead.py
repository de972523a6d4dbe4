from __future__ import annotations

import base64
import re

import pytest

from guardiannest.crypto import aead
from guardiannest.crypto.aead import Ciphertext, DecryptionError, context_for, decrypt, encrypt, parse_token
from guardiannest.crypto.keys import parse_key_ring
from guardiannest.crypto.tests.conftest import T1_ENTRY, T2_ENTRY

RING_T1 = parse_key_ring(T1_ENTRY)
RING_T2_T1 = parse_key_ring(f"{T2_ENTRY},{T1_ENTRY}")
CONTEXT = context_for(table="t", column="c", pk="1")


def test_round_trip_and_token_shape() -> None:
    token = encrypt(b"Allergic to peanuts", context=CONTEXT, ring=RING_T1)

    assert isinstance(token, Ciphertext)
    assert re.fullmatch(r"gn1:t1:[A-Za-z0-9_-]+", token)
    assert "peanut" not in token
    assert decrypt(token, context=CONTEXT, ring=RING_T1) == b"Allergic to peanuts"


def test_uses_the_key_ring_from_settings_by_default() -> None:
    token = encrypt(b"x", context=CONTEXT)

    assert aead.token_kid(token) == "t1"
    assert decrypt(token, context=CONTEXT) == b"x"


def test_ten_thousand_encryptions_use_ten_thousand_nonces() -> None:
    tokens = [encrypt(b"same value", context=CONTEXT, ring=RING_T1) for _ in range(10_000)]

    nonces = {parse_token(t).nonce for t in tokens}
    assert len(nonces) == 10_000
    assert all(len(n) == aead.NONCE_BYTES for n in nonces)
    assert len(set(tokens)) == 10_000


@pytest.mark.parametrize(
    "other",
    [
        context_for(table="t", column="c", pk="2"),
        context_for(table="t", column="d", pk="1"),
        context_for(table="u", column="c", pk="1"),
        b"",
    ],
)
def test_another_context_fails(other: bytes) -> None:
    token = encrypt(b"secret", context=CONTEXT, ring=RING_T1)

    with pytest.raises(DecryptionError, match="authentication failed"):
        decrypt(token, context=other, ring=RING_T1)


def test_context_parts_are_unambiguous() -> None:
    assert context_for(table="ab", column="c", pk="1") != context_for(table="a", column="bc", pk="1")


def test_every_changed_character_is_detected() -> None:
    token = encrypt(b"secret", context=CONTEXT, ring=RING_T2_T1)
    alphabet = "AQgw_-"

    for position in range(len(token)):
        for replacement in alphabet:
            if token[position] == replacement:
                continue
            tampered = token[:position] + replacement + token[position + 1 :]
            with pytest.raises(DecryptionError):
                decrypt(tampered, context=CONTEXT, ring=RING_T2_T1)


def test_every_flipped_bit_of_nonce_and_ciphertext_is_detected() -> None:
    token = encrypt(b"secret", context=CONTEXT, ring=RING_T1)
    raw = base64.urlsafe_b64decode(token.split(":")[2] + "==")

    for index in range(len(raw)):
        flipped = bytearray(raw)
        flipped[index] ^= 0x01
        body = base64.urlsafe_b64encode(bytes(flipped)).rstrip(b"=").decode()
        with pytest.raises(DecryptionError, match="authentication failed"):
            decrypt(f"gn1:t1:{body}", context=CONTEXT, ring=RING_T1)


def test_relabelling_the_kid_fails_even_with_the_same_key_material() -> None:
    ring = parse_key_ring(f"a:{T1_ENTRY.split(':')[1]},b:{T1_ENTRY.split(':')[1]}")
    token = encrypt(b"secret", context=CONTEXT, ring=ring)

    with pytest.raises(DecryptionError, match="authentication failed"):
        decrypt(token.replace("gn1:a:", "gn1:b:"), context=CONTEXT, ring=ring)


def test_unknown_kid_fails() -> None:
    token = encrypt(b"secret", context=CONTEXT, ring=RING_T2_T1)

    with pytest.raises(DecryptionError, match="unknown key id 't2'"):
        decrypt(token, context=CONTEXT, ring=RING_T1)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "plain text",
        "gn2:t1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "gn1:t1",
        "gn1::AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "gn1:t1:AAAA",  # shorter than nonce + tag
        "gn1:t1:AAAA=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "gn1:t1:A",  # not decodable base64
        "gn1:t1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",  # non-canonical trailing bits
    ],
)
def test_malformed_tokens_fail(token: str) -> None:
    with pytest.raises(DecryptionError):
        decrypt(token, context=CONTEXT, ring=RING_T1)


def test_non_string_is_not_a_token() -> None:
    with pytest.raises(DecryptionError, match="not a gn1 token"):
        parse_token(b"gn1:t1:AAAA")  # type: ignore[arg-type]


def test_reencrypt_moves_to_the_primary_key_and_optionally_to_a_new_context() -> None:
    old = encrypt(b"secret", context=CONTEXT, ring=RING_T1)
    moved = context_for(table="t", column="c", pk="2")

    same_row = aead.reencrypt(old, context=CONTEXT, ring=RING_T2_T1)
    other_row = aead.reencrypt(old, context=CONTEXT, new_context=moved, ring=RING_T2_T1)

    assert aead.token_kid(same_row) == "t2"
    assert decrypt(same_row, context=CONTEXT, ring=parse_key_ring(T2_ENTRY)) == b"secret"
    assert decrypt(other_row, context=moved, ring=RING_T2_T1) == b"secret"
    with pytest.raises(DecryptionError):
        decrypt(other_row, context=CONTEXT, ring=RING_T2_T1)
