"""Model fields whose values are stored AES-256-GCM encrypted, bound to their row.

The column holds a ``gn1:<kid>:...`` token (see :mod:`guardiannest.crypto.aead`)
sealed with associated data naming the table, the column and the row's primary
key. ``from_db_value`` cannot see the row, so a descriptor keeps the token on
the instance and decrypts on first attribute access, caching the plaintext.
``pre_save`` encrypts with the primary key, which must exist before the INSERT:
models need a ``UUIDField`` primary key with a default (system check crypto.E001;
a random ``BigIntegerField`` default or a one-to-one primary key also qualify).

Write paths that never see the instance cannot encrypt, so they are refused:
``QuerySet.update(field="plain")`` and ``bulk_update()`` raise PlaintextWriteError
rather than store plaintext. ``update()`` accepts only :class:`Ciphertext`
tokens (what :meth:`EncryptedField.encrypt` returns), which is how key rotation
writes. Query expressions (``F()``, ``Value()``) are not inspected.

Encrypted values cannot be compared, so every lookup but ``isnull`` (and
``exact=None``) raises FieldError; search through a blind index instead.

``None`` is stored as SQL NULL (also JSON ``null`` in EncryptedJSONField).
``""`` is stored as ``""``: an empty value holds no secret - a ciphertext's
length would reveal it anyway - and Django's schema editor writes ``""`` when a
NOT NULL text column is added to existing rows.
Renaming the table or column changes the associated data: re-encrypt first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core import checks
from django.core.exceptions import FieldError, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.fields import AutoFieldMixin
from django.db.models.lookups import Exact, Lookup
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init

from guardiannest.crypto import aead
from guardiannest.crypto.aead import Ciphertext, DecryptionError
from guardiannest.crypto.keys import key_ring


class PlaintextWriteError(ValueError):
    """A value that was not encrypted by the field was about to be written to an encrypted column."""


@dataclass(frozen=True)
class _Sealed:
    """A token read from the database and not yet decrypted.

    ``row_pk`` is the primary key of the row it was read from, remembered after
    ``__init__`` so that reassigning ``pk`` (copying a row) still decrypts
    against the original row. None when unknown: the instance's pk is used.
    """

    token: str
    row_pk: Any = None


class EncryptedAttribute(DeferredAttribute):
    """Holds the token until first read, then the decrypted value."""

    field: EncryptedField

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)  # loads a deferred column
        if isinstance(value, _Sealed):
            value = self.field.open(value, instance)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        # Model.__init__ assigns what from_db_value returned: a Ciphertext.
        instance.__dict__[self.field.attname] = _Sealed(str(value)) if isinstance(value, Ciphertext) else value


def _lookup_refused(field: models.Field[Any, Any], lookup_name: str) -> FieldError:
    return FieldError(
        f"{field.model.__name__}.{field.name} is encrypted and cannot be queried with '{lookup_name}': "
        "equal values have different ciphertexts. Use isnull, or look the value up through a blind index."
    )


class _NullOnlyExact(Exact):
    """``exact`` that only serves ``field=None`` (Django turns that into ``isnull``)."""

    def get_prep_lookup(self) -> Any:
        if self.rhs is None:
            return None
        raise _lookup_refused(self.lhs.output_field, "exact")


class EncryptedField(models.TextField):
    """Base class: a text column holding one token; subclasses say how values become text."""

    descriptor_class = EncryptedAttribute

    def encode_value(self, value: Any) -> str:
        """The text that gets encrypted for ``value``."""
        return str(self.to_python(value))

    def decode_value(self, text: str) -> Any:
        """The Python value for decrypted ``text``."""
        return text

    # --- encryption -----------------------------------------------------------

    def context(self, pk: Any) -> bytes:
        """Associated data for this column in the row ``pk``."""
        if pk is None:
            raise ValueError(f"{self.model.__name__}.{self.name} cannot be encrypted before the row has a primary key.")
        pk_field, column = self.model._meta.pk, self.column
        # Both are set once the field is on a model.
        assert pk_field is not None
        assert column is not None
        return aead.context_for(table=self.model._meta.db_table, column=column, pk=str(pk_field.to_python(pk)))

    def encrypt(self, value: Any, *, pk: Any) -> Ciphertext:
        """The token storing ``value`` in this column of row ``pk``, under the current key."""
        return aead.encrypt(self.encode_value(value).encode(), context=self.context(pk))

    def decrypt(self, token: str, *, pk: Any) -> Any:
        """The value a token read from this column of row ``pk`` holds; DecryptionError if it is not for that row."""
        return self.decode_value(aead.decrypt(token, context=self.context(pk)).decode())

    def rotate(self, token: str, *, pk: Any) -> Ciphertext:
        """Re-seal a token of row ``pk`` under the current key without deserializing it."""
        return aead.reencrypt(token, context=self.context(pk))

    def open(self, sealed: _Sealed, instance: models.Model) -> Any:
        """Decrypt a token loaded into ``instance``, against the row it was read from."""
        return self.decrypt(sealed.token, pk=instance.pk if sealed.row_pk is None else sealed.row_pk)

    # --- model integration ----------------------------------------------------

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        if not cls._meta.abstract:
            post_init.connect(self._remember_row, sender=cls)

    def _remember_row(self, *, instance: models.Model, **kwargs: Any) -> None:
        state = instance.__dict__.get(self.attname)
        if isinstance(state, _Sealed) and state.row_pk is None:
            instance.__dict__[self.attname] = _Sealed(state.token, instance.pk)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.attname in model_instance.__dict__:
            state = model_instance.__dict__[self.attname]
        else:
            state = getattr(model_instance, self.attname)
        pk = model_instance.pk
        if isinstance(state, _Sealed):
            # Never read: keep the token if it already fits this row and key,
            # so a save does not undo a key rotation or break a copied row.
            row_pk = pk if state.row_pk is None else state.row_pk
            if self.context(row_pk) == self.context(pk) and aead.token_kid(state.token) == key_ring().primary_kid:
                return Ciphertext(state.token)
            return aead.reencrypt(state.token, context=self.context(row_pk), new_context=self.context(pk))
        if state is None or (isinstance(state, str) and state == ""):
            return state
        return self.encrypt(state, pk=pk)

    def from_db_value(self, value: str | None, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is None or value == "":
            return value
        return Ciphertext(value)

    def get_db_prep_value(self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False) -> Any:
        if value is None or (isinstance(value, str) and value == ""):
            return value
        if isinstance(value, Ciphertext):
            try:
                aead.parse_token(value)
            except DecryptionError:
                raise PlaintextWriteError(f"{self._label()}: the value is marked as a token but is not one.") from None
            return str(value)
        raise PlaintextWriteError(
            f"{self._label()} is encrypted: refusing to write a value that was not encrypted for its row. "
            "Save model instances (save(), create(), bulk_create()) instead of QuerySet.update() or bulk_update()."
        )

    def _label(self) -> str:
        return f"{self.model._meta.label}.{self.name}" if hasattr(self, "model") else self.__class__.__name__

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _NullOnlyExact
        raise _lookup_refused(self, lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        return None  # transforms (lower, unaccent, ...) would run on ciphertext

    # --- checks -------------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *self._check_encryption()]

    def _check_encryption(self) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = []
        if not _pk_known_before_insert(self.model._meta.pk):
            errors.append(
                checks.Error(
                    "Encrypted fields need a UUIDField primary key with a default.",
                    hint="The ciphertext is bound to the primary key, which must exist before the INSERT: "
                    "id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False) "
                    "(or a BigIntegerField with a random default, or a OneToOneField primary key to such a row).",
                    obj=self,
                    id="crypto.E001",
                )
            )
        if self.unique or self.primary_key:
            errors.append(
                checks.Error(
                    "Encrypted fields cannot be unique: equal values have different ciphertexts.",
                    hint="Put unique=True on a BlindIndexField of this field.",
                    obj=self,
                    id="crypto.E002",
                )
            )
        if self.has_db_default():
            errors.append(
                checks.Error(
                    "Encrypted fields cannot have a db_default: the database would store it in plaintext.",
                    obj=self,
                    id="crypto.E003",
                )
            )
        return errors


def _pk_known_before_insert(pk: models.Field[Any, Any] | None) -> bool:
    """A primary key set in Python before the INSERT, never by the database.

    A UUIDField (or a random integer) with a default, or a one-to-one primary
    key to a row that has one: its value is the related row's, set first.
    """
    if isinstance(pk, models.OneToOneField):
        return _pk_known_before_insert(pk.target_field)
    if pk is None or isinstance(pk, AutoFieldMixin):
        return False
    return isinstance(pk, models.UUIDField | models.BigIntegerField) and pk.has_default()


class EncryptedTextField(EncryptedField):
    """Encrypted free text, e.g. a child's medical notes."""


class EncryptedCharField(EncryptedField):
    """Encrypted short text; ``max_length`` limits the plaintext, the column is ``text``."""

    def __init__(self, *args: Any, max_length: int, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "max_length": max_length})
        self.validators.append(MaxLengthValidator(max_length))

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"widget": forms.TextInput, **kwargs})


class EncryptedFloatField(EncryptedField):
    """Encrypted float, e.g. a sitter's exact service location; read back as a float, ``None`` as SQL NULL."""

    empty_strings_allowed = False

    def encode_value(self, value: Any) -> str:
        return repr(float(value))

    def decode_value(self, text: str) -> Any:
        return float(text)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, float):
            return value
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValidationError("A number is required.", code="invalid") from None

    def formfield(self, **kwargs: Any) -> Any:
        return models.Field.formfield(self, **{"form_class": forms.FloatField, **kwargs})


class EncryptedDecimalField(EncryptedField):
    """Encrypted decimal kept to ``decimal_places`` (rounded half-even, as a ``numeric`` column would store it)."""

    empty_strings_allowed = False

    def __init__(self, *args: Any, decimal_places: int, **kwargs: Any) -> None:
        self.decimal_places = decimal_places
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["decimal_places"] = self.decimal_places
        return name, path, args, kwargs

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, Decimal):
            return value
        try:
            return Decimal(str(value))
        except (InvalidOperation, TypeError, ValueError):
            raise ValidationError("A number is required.", code="invalid") from None

    def encode_value(self, value: Any) -> str:
        number = self.to_python(value)
        return str(number.quantize(Decimal(1).scaleb(-self.decimal_places), rounding=ROUND_HALF_EVEN))

    def decode_value(self, text: str) -> Any:
        return Decimal(text)

    def formfield(self, **kwargs: Any) -> Any:
        return models.Field.formfield(
            self, **{"form_class": forms.DecimalField, "decimal_places": self.decimal_places, **kwargs}
        )


class EncryptedJSONField(EncryptedField):
    """Encrypted JSON document; ``None`` is stored as SQL NULL, never as JSON ``null``."""

    empty_strings_allowed = False

    def __init__(
        self,
        *args: Any,
        encoder: type[json.JSONEncoder] | None = None,
        decoder: type[json.JSONDecoder] | None = None,
        **kwargs: Any,
    ) -> None:
        self.encoder, self.decoder = encoder, decoder
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for attr in ("encoder", "decoder"):
            if getattr(self, attr) is not None:
                kwargs[attr] = getattr(self, attr)
        return name, path, args, kwargs

    def encode_value(self, value: Any) -> str:
        """The text that gets encrypted for ``value``."""
        return json.dumps(value, cls=self.encoder, separators=(",", ":"))

    def decode_value(self, text: str) -> Any:
        return json.loads(text, cls=self.decoder)

    def to_python(self, value: Any) -> Any:
        return value

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        try:
            self.encode_value(value)
        except (TypeError, ValueError):
            raise ValidationError("Value must be valid JSON.", code="invalid") from None

    def formfield(self, **kwargs: Any) -> Any:
        return models.Field.formfield(
            self, **{"form_class": forms.JSONField, "encoder": self.encoder, "decoder": self.decoder, **kwargs}
        )


def encrypted_fields(model: type[models.Model]) -> list[EncryptedField]:
    """The encrypted columns stored in ``model``'s own table."""
    return [f for f in model._meta.local_concrete_fields if isinstance(f, EncryptedField)]
