"""The no-overlap rules of holds and spans: declared on the models, enforced by PostgreSQL, absent from SQLite's DDL.

The declaration is what ``makemigrations --check`` guards; migration 0003
takes the raw constraints of 0002 as the declared ones, which holds only
while both compile to the same definition: compared here on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.postgres.constraints import ExclusionConstraint
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.utils import ConnectionHandler

from sitters.models import AvailabilitySpan, Hold
from sitters.models.calendar import HOLD_NO_OVERLAP, SPAN_NO_OVERLAP
from sitters.tests.factories import SitterProfileFactory

PERIOD_MODELS = [(Hold, HOLD_NO_OVERLAP), (AvailabilitySpan, SPAN_NO_OVERLAP)]
START = datetime(2030, 5, 1, 10, tzinfo=UTC)


def _exclusion(model: Any, name: str) -> ExclusionConstraint:
    [constraint] = [c for c in model._meta.constraints if isinstance(c, ExclusionConstraint)]
    assert constraint.name == name
    return constraint


def _definition(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s", [name])
        row = cursor.fetchone()
    assert row is not None, f"{name} is not in the database"
    return str(row[0])


@pytest.mark.parametrize(("model", "name"), PERIOD_MODELS)
def test_the_no_overlap_rule_is_declared_on_the_model(model: Any, name: str) -> None:
    constraint = _exclusion(model, name)

    assert [operator for _, operator in constraint.expressions] == ["=", "&&"]


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "name"), PERIOD_MODELS)
def test_the_migrated_constraint_is_the_declared_one(model: Any, name: str) -> None:
    """Dropped and made again from the declaration (rolled back with the test): the same definition."""
    migrated = _definition(name)
    constraint = _exclusion(model, name)

    with connection.schema_editor() as editor:
        editor.remove_constraint(model, constraint)
        editor.add_constraint(model, constraint)

    assert _definition(name) == migrated
    assert migrated.startswith("EXCLUDE USING gist (sitter_id WITH =, tstzrange(starts_at, ends_at, '[)'")


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "name"), PERIOD_MODELS)
def test_the_database_refuses_an_overlap_and_takes_a_touching_period(model: Any, name: str) -> None:
    profile = SitterProfileFactory()
    model.objects.create(sitter=profile, starts_at=START, ends_at=START + timedelta(hours=2))

    with pytest.raises(IntegrityError, match=name), transaction.atomic():
        model.objects.create(sitter=profile, starts_at=START + timedelta(hours=1), ends_at=START + timedelta(hours=3))
    model.objects.create(sitter=profile, starts_at=START + timedelta(hours=2), ends_at=START + timedelta(hours=3))
    model.objects.create(sitter=SitterProfileFactory(), starts_at=START, ends_at=START + timedelta(hours=2))

    assert model.objects.count() == 3


@pytest.mark.django_db
def test_model_validation_reads_the_declared_rule_on_postgresql() -> None:
    profile = SitterProfileFactory()
    Hold.objects.create(sitter=profile, starts_at=START, ends_at=START + timedelta(hours=2))

    with pytest.raises(ValidationError):
        Hold(sitter=profile, starts_at=START + timedelta(hours=1), ends_at=START + timedelta(hours=3)).full_clean()


@pytest.mark.parametrize(("model", "name"), PERIOD_MODELS)
def test_sqlite_tables_are_made_and_remade_without_the_postgresql_only_rule(
    model: Any, name: str, django_db_blocker: Any
) -> None:
    """The embedded default: creating the table, and the remake SQLite does for most changes, write no EXCLUDE."""
    sqlite = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})["default"]
    constraint = _exclusion(model, name)
    with django_db_blocker.unblock():  # a throwaway SQLite database of its own, not the test database
        try:
            with sqlite.schema_editor(collect_sql=True) as collector:
                collector.create_model(model)
            with sqlite.schema_editor() as editor:
                editor.create_model(model)
                editor.remove_constraint(model, constraint)
                editor.add_constraint(model, constraint)  # SQLite remakes the whole table here
            table = sqlite.introspection.get_constraints(sqlite.cursor(), model._meta.db_table)
        finally:
            sqlite.close()

    assert collector.collected_sql and not [sql for sql in collector.collected_sql if "EXCLUDE" in sql.upper()]
    assert name not in table
