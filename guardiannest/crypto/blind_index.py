"""Blind indexes: keyed hashes that let encrypted columns be searched by equality.

``blind_index(value, purpose=...)`` is HMAC-SHA256 of the normalised value under
a key derived (HKDF-SHA256) from ``BLIND_INDEX_KEY`` and the purpose. Deriving
per purpose keeps indexes of different columns unrelated: equal emails in
``accounts.user.email`` and ``sitters.reference.email`` do not produce equal
digests, so one index cannot be joined against another.

A blind index reveals which rows share a value. Index only what is looked up
by exact match, and keep the purpose string stable: changing it (or the key)
means recomputing every digest.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from guardiannest.crypto.keys import blind_index_key

DIGEST_HEX_LENGTH = 64


def normalize_default(value: str) -> str:
    """NFKC, strip, casefold: "  Ana@Example.COM " and "ana@example.com" index alike."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def _purpose_key(purpose: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"guardiannest/blind-index/v1/" + purpose.encode()
    )
    return hkdf.derive(blind_index_key())


def blind_index(value: str, *, purpose: str, normalize: Callable[[str], str] | None = normalize_default) -> str:
    """Hex HMAC-SHA256 of ``normalize(value)`` under the key for ``purpose``.

    ``purpose`` names the column, e.g. ``"accounts.user.email"``. Pass
    ``normalize=None`` to index the value exactly as given.
    """
    if not isinstance(value, str):
        raise TypeError(f"blind_index() takes a str, not {type(value).__name__}")
    if not purpose:
        raise ValueError("blind_index() needs a purpose naming the indexed column")
    if normalize is not None:
        value = normalize(value)
    return hmac.new(_purpose_key(purpose), value.encode(), hashlib.sha256).hexdigest()


class BlindIndexField(models.CharField):
    """The blind index of another (usually encrypted) text field on the same model.

    Filled in ``pre_save`` from the plaintext of ``source``; None when the
    source is None. Look rows up with ``filter(<name>=field.digest(value))``.
    ``save(update_fields=[source])`` must also name this field to keep it current.
    """

    def __init__(self, *args: Any, source: str, purpose: str, **kwargs: Any) -> None:
        self.source, self.purpose = source, purpose
        kwargs.setdefault("max_length", DIGEST_HEX_LENGTH)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, purpose=self.purpose)
        # Spell out only what differs from this field's own defaults.
        for key, default in (("max_length", DIGEST_HEX_LENGTH), ("editable", False), ("db_index", True)):
            value = getattr(self, key)
            if value == default:
                kwargs.pop(key, None)
            else:
                kwargs[key] = value
        return name, path, args, kwargs

    def digest(self, value: str) -> str:
        """The value this column holds for a source value of ``value``."""
        return blind_index(value, purpose=self.purpose)

    def pre_save(self, model_instance: models.Model, add: bool) -> str | None:
        value = getattr(model_instance, self.source)
        digest = None if value is None else self.digest(value)
        setattr(model_instance, self.attname, digest)
        return digest

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        try:
            self.model._meta.get_field(self.source)
        except FieldDoesNotExist:
            errors.append(
                checks.Error(
                    f"BlindIndexField source {self.source!r} is not a field of this model.", obj=self, id="crypto.E004"
                )
            )
        if not self.purpose:
            errors.append(checks.Error("BlindIndexField needs a non-empty purpose.", obj=self, id="crypto.E005"))
        return errors
