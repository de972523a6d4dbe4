"""The field-encryption key ring and the blind-index key, read from settings.

``FIELD_ENCRYPTION_KEYS`` is ``kid:base64(32 bytes)`` entries separated by
commas. The first entry encrypts; every entry decrypts, so a new key is rolled
out by putting it first and keeping the old one until ``rotate_field_keys`` has
re-encrypted every row. Both keys are parsed once and cached; the cache is
dropped on Django's ``setting_changed`` signal so ``override_settings`` works.

A malformed ring stops the process with ``ImproperlyConfigured`` naming the
setting and the entry, never echoing key material.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

KEY_BYTES = 32  # AES-256
# A kid appears inside tokens ("gn1:<kid>:..."), so it may not contain ":".
KID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
BLIND_INDEX_KEY_MIN_LENGTH = 16


@dataclass(frozen=True)
class KeyRing:
    """Parsed encryption keys: ``primary_kid`` encrypts, all of ``keys`` decrypt.

    ``keys`` is excluded from ``repr`` so a ring that ends up in a log or a
    traceback never prints key material.
    """

    primary_kid: str
    keys: dict[str, bytes] = field(repr=False)
    _ciphers: dict[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.primary_kid not in self.keys:
            raise ValueError("the primary kid must be one of the ring's keys")
        # One AESGCM object per key: building it validates the key once.
        object.__setattr__(self, "_ciphers", {kid: AESGCM(key) for kid, key in self.keys.items()})

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self.keys)

    @property
    def primary_cipher(self) -> AESGCM:
        return self._ciphers[self.primary_kid]

    def cipher(self, kid: str) -> AESGCM | None:
        """The cipher for ``kid``, or None when the ring does not hold it."""
        return self._ciphers.get(kid)


def _decode_key(text: str) -> bytes:
    """Accept standard or URL-safe base64, padded or not; reject anything else."""
    text = text.translate(str.maketrans("-_", "+/"))
    text += "=" * (-len(text) % 4)
    return base64.b64decode(text, validate=True)


def parse_key_ring(raw: object) -> KeyRing:
    """Parse a ``FIELD_ENCRYPTION_KEYS`` value; raise ImproperlyConfigured if it is malformed."""
    name = "FIELD_ENCRYPTION_KEYS"
    if not isinstance(raw, str):
        raise ImproperlyConfigured(f"{name} must be a string of comma-separated kid:base64key entries.")
    if not raw.strip():
        raise ImproperlyConfigured(f"{name} is empty: give at least one kid:base64key entry.")
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(raw.split(","), start=1):
        entry = entry.strip()
        kid, sep, encoded = entry.partition(":")
        kid, encoded = kid.strip(), encoded.strip()
        if not sep or not kid or not encoded:
            raise ImproperlyConfigured(f"{name} entry {position} is not of the form kid:base64key.")
        if not KID_RE.fullmatch(kid):
            raise ImproperlyConfigured(
                f"{name} entry {position} has the key id {kid!r}; use 1-32 characters from A-Z, a-z, 0-9, '_' and '-'."
            )
        if kid in keys:
            raise ImproperlyConfigured(f"{name} names the key id {kid!r} twice; each key needs its own id.")
        try:
            key = _decode_key(encoded)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{name} key {kid!r} is not valid base64.") from None
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(
                f"{name} key {kid!r} decodes to {len(key)} bytes; AES-256 needs exactly {KEY_BYTES}."
            )
        keys[kid] = key
    return KeyRing(primary_kid=next(iter(keys)), keys=keys)


@functools.cache
def key_ring() -> KeyRing:
    """The process-wide key ring, parsed from settings on first use."""
    return parse_key_ring(getattr(settings, "FIELD_ENCRYPTION_KEYS", None))


@functools.cache
def blind_index_key() -> bytes:
    """The blind-index master secret; purposes derive their own keys from it."""
    raw = getattr(settings, "BLIND_INDEX_KEY", None)
    if not isinstance(raw, str) or len(raw) < BLIND_INDEX_KEY_MIN_LENGTH:
        raise ImproperlyConfigured(
            f"BLIND_INDEX_KEY must be a string of at least {BLIND_INDEX_KEY_MIN_LENGTH} characters."
        )
    return raw.encode()


def reset_caches() -> None:
    """Forget the parsed keys; the next use re-reads settings."""
    key_ring.cache_clear()
    blind_index_key.cache_clear()


@receiver(setting_changed, dispatch_uid="guardiannest.crypto.keys.reset")
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"):
        reset_caches()


def check_keys(**kwargs: Any) -> list[CheckMessage]:
    """System check: a broken key ring fails ``manage.py check`` rather than the first save."""
    errors: list[CheckMessage] = []
    for loader, check_id in ((key_ring, "crypto.E010"), (blind_index_key, "crypto.E011")):
        try:
            loader()
        except ImproperlyConfigured as exc:
            errors.append(Error(str(exc), id=check_id))
    return errors
