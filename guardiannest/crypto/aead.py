"""AES-256-GCM with per-value random nonces, row-bound associated data and key ids.

A token is ``gn1:<kid>:<base64url(nonce || ciphertext+tag)>`` (no padding).
``gn1`` versions the format; ``kid`` names the key so old keys keep decrypting
during rotation. The associated data is the token header plus a *context* -
for database fields the table, column and primary key - so a token copied to
another row, column or table, or relabelled with another kid, fails to decrypt.

Nonces are 96 random bits from ``os.urandom`` per value. With one key, NIST
SP 800-38D bounds random-nonce GCM to 2**32 encryptions; rotate well before.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag

from guardiannest.crypto.keys import KID_RE, KeyRing, key_ring

VERSION = "gn1"
NONCE_BYTES = 12
TAG_BYTES = 16
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")


class DecryptionError(Exception):
    """A token could not be decrypted: malformed, tampered, bound to another context, or its key is unknown.

    The message names the cause and the kid, never plaintext or key material.
    """


class Ciphertext(str):
    """A token produced by :func:`encrypt` or read from an encrypted column.

    Encrypted fields write only values of this type, so a plaintext ``str``
    handed to ``QuerySet.update()`` is refused instead of stored.
    """

    __slots__ = ()


@dataclass(frozen=True)
class ParsedToken:
    version: str
    kid: str
    nonce: bytes
    sealed: bytes  # ciphertext || tag


def context_for(*, table: str, column: str, pk: str) -> bytes:
    """Associated data binding a value to its table, column and row.

    Each part is length-prefixed so ("ab", "c") and ("a", "bc") differ.
    """
    return _length_prefixed(table, column, pk)


def _length_prefixed(*parts: str) -> bytes:
    out = bytearray()
    for part in parts:
        data = part.encode()
        out += len(data).to_bytes(4, "big") + data
    return bytes(out)


def _aad(kid: str, context: bytes) -> bytes:
    return _length_prefixed(VERSION, kid) + context


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def parse_token(token: str) -> ParsedToken:
    """Split a token into its parts without decrypting it.

    The body must be canonical base64url, so changing any character of a token
    changes the bytes that GCM authenticates.
    """
    parts = token.split(":", 2) if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != VERSION:
        raise DecryptionError("not a gn1 token")
    version, kid, body = parts
    if not KID_RE.fullmatch(kid) or not _B64URL_RE.fullmatch(body):
        raise DecryptionError("malformed token")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("malformed token") from None
    if _b64encode(raw) != body or len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("malformed token")
    return ParsedToken(version=version, kid=kid, nonce=raw[:NONCE_BYTES], sealed=raw[NONCE_BYTES:])


def token_kid(token: str) -> str:
    """The id of the key that sealed ``token``."""
    return parse_token(token).kid


def encrypt(plaintext: bytes, *, context: bytes, ring: KeyRing | None = None) -> Ciphertext:
    """Seal ``plaintext`` under the ring's primary key with a fresh random nonce."""
    ring = ring or key_ring()
    kid, cipher = ring.primary_kid, ring.primary_cipher
    nonce = os.urandom(NONCE_BYTES)
    sealed = cipher.encrypt(nonce, plaintext, _aad(kid, context))
    return Ciphertext(f"{VERSION}:{kid}:{_b64encode(nonce + sealed)}")


def decrypt(token: str, *, context: bytes, ring: KeyRing | None = None) -> bytes:
    """Open ``token``; raise DecryptionError unless it is intact, for ``context``, under a known key."""
    ring = ring or key_ring()
    parsed = parse_token(token)
    cipher = ring.cipher(parsed.kid)
    if cipher is None:
        raise DecryptionError(f"unknown key id {parsed.kid!r}: it is not in FIELD_ENCRYPTION_KEYS")
    try:
        return cipher.decrypt(parsed.nonce, parsed.sealed, _aad(parsed.kid, context))
    except InvalidTag:
        raise DecryptionError(
            f"authentication failed (key {parsed.kid!r}): the token was altered or belongs to another row"
        ) from None


def reencrypt(
    token: str, *, context: bytes, new_context: bytes | None = None, ring: KeyRing | None = None
) -> Ciphertext:
    """Decrypt and seal again under the primary key (and ``new_context`` if the value moves)."""
    ring = ring or key_ring()
    plaintext = decrypt(token, context=context, ring=ring)
    return encrypt(plaintext, context=context if new_context is None else new_context, ring=ring)
