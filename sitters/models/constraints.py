"""Exclusion constraints declared on the model, enforced where the database can (PostgreSQL).

Django's :class:`~django.contrib.postgres.constraints.ExclusionConstraint`
writes its PostgreSQL DDL on every backend, so on the SQLite embedded
default a migration or a table remake would fail. This one gives no SQL
elsewhere, as Django's own constraints do for what a backend cannot enforce
(a partial unique index without partial indexes): declared, it is in the
model state, so ``makemigrations --check`` guards it, and on SQLite the
services keep the rule under the IMMEDIATE write lock instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func

__all__ = ["PostgreSQLExclusionConstraint", "TsTzRange", "no_overlap_per_sitter"]


class TsTzRange(Func):
    """``tstzrange(lower, upper, bounds)``: a period of two timestamp columns, as the GiST index sees it."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def _postgresql(schema_editor: Any) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


class PostgreSQLExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint on PostgreSQL; no SQL, and nothing to validate, on any other database."""

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().constraint_sql(model, schema_editor) if _postgresql(schema_editor) else None

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().create_sql(model, schema_editor) if _postgresql(schema_editor) else None

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().remove_sql(model, schema_editor) if _postgresql(schema_editor) else None

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: str = DEFAULT_DB_ALIAS) -> None:
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


def no_overlap_per_sitter(name: str) -> PostgreSQLExclusionConstraint:
    """No two rows of one sitter share an instant of ``[starts_at, ends_at)`` (touching periods do not)."""
    return PostgreSQLExclusionConstraint(
        name=name,
        expressions=[
            ("sitter", RangeOperators.EQUAL),
            (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
        ],
    )
