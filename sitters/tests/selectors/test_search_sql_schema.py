"""Search's SQL names tables and columns as their models declare them, and compares with the enums' values.

Each app owns its table names: the statement takes them (and the other
apps' columns) from ``_meta``, so every ``alias.column`` of the compiled
text must be a column of the table the alias stands for, on both backends.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.models import Role
from files.models import StoredFile
from sitters.models import VerificationStatus
from sitters.selectors.search import Filters, SearchQuery
from sitters.selectors.search.sql import profile_sql, search_sql

SEARCH_SQL_SOURCES = sorted((Path(__file__).resolve().parents[2] / "selectors" / "search").glob("*.py"))
# ``FROM table alias`` / ``JOIN table alias``; derived tables (``(...) page``) are not tables.
_TABLE_ALIAS = re.compile(r"\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)\s+([a-z])\b")
_REFERENCE = re.compile(r"\b([a-z])\.([a-z_][a-z0-9_]*)\b")


def _every_filter() -> Filters:
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    return Filters(
        latitude=52.52,
        longitude=13.405,
        radius_km=10,
        start=start,
        end=start + timedelta(hours=3),
        min_rate=1000,
        max_rate=5000,
        min_rating=4.0,
        languages=("de",),
        certifications=("cpr",),
        age_groups=("toddler",),
        verified=True,
    )


def _statements() -> list[tuple[str, str, dict[str, object]]]:
    query = SearchQuery(filters=_every_filter())
    today = date(2030, 1, 1)
    found = []
    for vendor in ("postgresql", "sqlite"):
        sql, params = search_sql(
            filters=query.filters, today=today, offset=0, limit=21, vendor=vendor, adapt=lambda value: value
        )
        found.append((f"search {vendor}", sql, params))
        sql, params = profile_sql(sitter_id="x", today=today, vendor=vendor, adapt=lambda value: value)
        found.append((f"profile {vendor}", sql, params))
    return found


def _columns_by_table() -> dict[str, set[str]]:
    return {
        model._meta.db_table: {field.column for field in model._meta.concrete_fields}
        for model in apps.get_models(include_auto_created=True)
    }


@pytest.mark.parametrize(
    ("name", "sql", "params"), _statements(), ids=lambda value: value if isinstance(value, str) and " " in value else ""
)
def test_every_column_the_statement_reads_is_one_its_table_declares(
    name: str, sql: str, params: dict[str, object]
) -> None:
    columns = _columns_by_table()
    aliases: dict[str, str] = {}
    for table, alias in _TABLE_ALIAS.findall(sql):
        assert table in columns, (name, table)
        assert aliases.setdefault(alias, table) == table, (name, alias)  # one table per alias throughout

    references = {(alias, column) for alias, column in _REFERENCE.findall(sql) if alias in aliases}
    assert references, name
    assert {(alias, column) for alias, column in references if column not in columns[aliases[alias]]} == set(), name
    assert {"accounts_user", "files_storedfile"} <= set(aliases.values())


def test_the_statement_compares_with_the_enums_values_as_parameters() -> None:
    _, sql, params = _statements()[0]

    assert {params["role"], params["badge_review"], params["verified"]} == {
        Role.SITTER,
        StoredFile.Review.APPROVED,
        VerificationStatus.VERIFIED,
    }
    assert "'" not in re.sub(r"json_build_object\([^)]*\)", "", sql)  # no quoted value besides JSON keys


@pytest.mark.parametrize("path", SEARCH_SQL_SOURCES, ids=lambda path: path.name)
def test_the_search_sources_spell_no_table_of_another_app(path: Path) -> None:
    source = path.read_text()
    others = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label != "sitters"
    }

    assert {table for table in others if re.search(rf"\b{table}\b", source)} == set()
    assert not [value for value in (*Role.values, *StoredFile.Review.values) if f"'{value}'" in source]
