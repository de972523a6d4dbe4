"""Fixtures of the family tests: one family's rows, and helpers to read columns as stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from accounts.models import Child, EmergencyContact, FavoriteSitter, User
from accounts.tests.factories import ChildFactory, EmergencyContactFactory, FavoriteSitterFactory

ME = "/api/v1/parents/me"
CHILDREN = f"{ME}/children"
CONTACTS = f"{ME}/emergency-contacts"
FAVORITES = f"{ME}/favorites"


def raw_columns(table: str, pk: Any, *columns: str) -> tuple[Any, ...]:
    """Column values as PostgreSQL holds them, read with SQL so no field code runs."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s", [pk])
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def raw_row_text(table: str, pk: Any) -> str:
    """The whole row as PostgreSQL's JSON text: whatever is stored in clear shows here."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t WHERE id = %s", [pk])
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def raw_write(table: str, pk: Any, column: str, value: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


@pytest.fixture
def child(parent: User) -> Child:
    return ChildFactory(parent=parent, first_name="Mia", medical_notes="Asthma: inhaler before sport")


@pytest.fixture
def contact(parent: User) -> EmergencyContact:
    return EmergencyContactFactory(parent=parent, priority=1)


@pytest.fixture
def favorite(parent: User, sitter: User) -> FavoriteSitter:
    return FavoriteSitterFactory(parent=parent, sitter=sitter)
