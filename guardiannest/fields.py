"""Model fields more than one app declares: coordinates and phone numbers, defined once.

Each factory returns a plain Django field (or the encrypted one), so migrations
see exactly the field they always saw. The database-side range checks for a
coordinate pair are built next door, by
:func:`guardiannest.constraints.coordinate_constraints`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models.expressions import Combinable

from guardiannest.crypto.fields import EncryptedCharField, EncryptedDecimalField, EncryptedFloatField

# Six decimals of a degree is about 11 cm: more than any place needs, and what the API keeps.
COORDINATE_DECIMALS = 6
LATITUDE_LIMIT = 90
LONGITUDE_LIMIT = 180
# E.164: a "+" and at most 15 digits; room to spare.
PHONE_MAX_LENGTH = 20


def coordinate_field() -> models.FloatField[float | int | str | Combinable | None, float | None]:
    """A latitude or longitude in degrees as a float (the distance maths works in floats); empty when unknown."""
    return models.FloatField(null=True, blank=True)


def decimal_coordinate_field() -> models.DecimalField[str | float | Decimal | Combinable | None, Decimal | None]:
    """A latitude or longitude in degrees, kept exactly to :data:`COORDINATE_DECIMALS` places; empty when unknown."""
    return models.DecimalField(
        max_digits=len(str(LONGITUDE_LIMIT)) + COORDINATE_DECIMALS,
        decimal_places=COORDINATE_DECIMALS,
        null=True,
        blank=True,
    )


def encrypted_coordinate_field() -> models.FloatField[float | int | str | Combinable | None, float | None]:
    """An exact location's latitude or longitude as a float, encrypted at rest (a sitter's home).

    An :class:`EncryptedFloatField` (a text column), typed as the float it reads as.
    SQL never computes with it: search and distances use the fuzzed search point.
    """
    return EncryptedFloatField(null=True, blank=True)  # type: ignore[return-value]


def encrypted_decimal_coordinate_field() -> models.DecimalField[
    str | float | Decimal | Combinable | None, Decimal | None
]:
    """A home's latitude or longitude to :data:`COORDINATE_DECIMALS` places, encrypted at rest (a family's home).

    An :class:`EncryptedDecimalField` (a text column), typed as the Decimal it reads as.
    """
    return EncryptedDecimalField(decimal_places=COORDINATE_DECIMALS, null=True, blank=True)  # type: ignore[return-value]


def phone_field(*, help_text: str = "E.164", **options: Any) -> models.CharField[str | int | Combinable, str]:
    """A phone number in E.164 form, in clear (for what is looked up by its number)."""
    return models.CharField(max_length=PHONE_MAX_LENGTH, help_text=help_text, **options)


def encrypted_phone_field(*, help_text: str = "E.164", **options: Any) -> models.TextField[str | Combinable, str]:
    """A phone number in E.164 form, encrypted at rest (a family's, an emergency contact's).

    An :class:`EncryptedCharField` (a text column), typed as the string it reads as.
    """
    return EncryptedCharField(max_length=PHONE_MAX_LENGTH, help_text=help_text, **options)
