"""Coordinates and phone numbers are declared once (guardiannest.fields); every model uses that declaration."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models

from accounts.models import User
from accounts.models.family import EmergencyContact, ParentProfile
from guardiannest.fields import (
    COORDINATE_DECIMALS,
    PHONE_MAX_LENGTH,
    coordinate_field,
    decimal_coordinate_field,
    encrypted_coordinate_field,
    encrypted_decimal_coordinate_field,
    encrypted_phone_field,
    phone_field,
)
from sitters.models import SitterProfile

# What the shared declaration decides; the rest (blank, default, help text) is each model's.
SHARED_OPTIONS = ("max_digits", "decimal_places", "max_length", "null")


def _shape(field: models.Field[Any, Any]) -> tuple[str, dict[str, Any]]:
    _, path, _, kwargs = field.deconstruct()
    return path, {option: kwargs.get(option) for option in SHARED_OPTIONS}


@pytest.mark.parametrize(
    ("model", "name", "shared"),
    [
        (ParentProfile, "latitude", encrypted_decimal_coordinate_field()),
        (ParentProfile, "longitude", encrypted_decimal_coordinate_field()),
        (SitterProfile, "latitude", encrypted_coordinate_field()),
        (SitterProfile, "longitude", encrypted_coordinate_field()),
        (SitterProfile, "search_latitude", coordinate_field()),
        (SitterProfile, "search_longitude", coordinate_field()),
        (User, "phone", phone_field()),
        (ParentProfile, "phone", encrypted_phone_field()),
        (EmergencyContact, "phone", encrypted_phone_field()),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else value if isinstance(value, str) else "",
)
def test_the_model_field_is_the_shared_declaration(model: type[models.Model], name: str, shared: Any) -> None:
    assert _shape(model._meta.get_field(name)) == _shape(shared)


def test_the_shared_declarations_hold_what_they_promise() -> None:
    exact = decimal_coordinate_field()
    assert (exact.decimal_places, exact.max_digits) == (COORDINATE_DECIMALS, 3 + COORDINATE_DECIMALS)  # ±180.123456
    assert encrypted_decimal_coordinate_field().decimal_places == COORDINATE_DECIMALS
    assert phone_field().max_length == encrypted_phone_field().max_length == PHONE_MAX_LENGTH
    assert len("+" + "9" * 15) <= PHONE_MAX_LENGTH  # the longest E.164 number
