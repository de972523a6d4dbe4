"""The embedded default's SQLite answers the same percentiles as PostgreSQL's percentile_cont."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection

from analytics.selectors.expressions import SQLITE_PERCENTILE, _SQLitePercentile


@pytest.mark.parametrize(
    ("values", "fraction"),
    [([600, 3600], 0.5), ([600, 3600], 0.9), ([600, 1800, 3600, 7200], 0.9), ([5], 0.9), ([3, 1, 2], 0.5)],
)
def test_sqlite_twin_matches_postgresql(values: list[int], fraction: float, db: None) -> None:
    lite = sqlite3.connect(":memory:")
    lite.create_aggregate(SQLITE_PERCENTILE, 2, _SQLitePercentile)
    lite.execute("CREATE TABLE t (v INTEGER)")
    lite.executemany("INSERT INTO t VALUES (?)", [(value,) for value in values])
    (ours,) = lite.execute(f"SELECT {SQLITE_PERCENTILE}(v, ?) FROM t", (fraction,)).fetchone()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(%s) WITHIN GROUP (ORDER BY v) FROM unnest(%s::int[]) AS v", [fraction, values]
        )
        (theirs,) = cursor.fetchone()

    assert ours == pytest.approx(theirs)


def test_no_rows_is_null() -> None:
    lite = sqlite3.connect(":memory:")
    lite.create_aggregate(SQLITE_PERCENTILE, 2, _SQLitePercentile)
    lite.execute("CREATE TABLE t (v INTEGER)")

    assert lite.execute(f"SELECT {SQLITE_PERCENTILE}(v, 0.5) FROM t").fetchone() == (None,)
