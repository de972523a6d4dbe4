"""SQL the ORM has no word for: a percentile aggregate, and the hour and weekday of a moment in a row's own zone.

PostgreSQL computes them natively. The embedded default's SQLite gets the same
percentile as an aggregate function registered on each connection (it runs in
the database engine, over the rows the query groups), and reads hours and
weekdays in UTC, having no time-zone data.
"""

from __future__ import annotations

import math
from typing import Any

from django.db.backends.signals import connection_created
from django.db.models import Aggregate, DurationField, Expression, Func, IntegerField

SQLITE_PERCENTILE = "gn_percentile_cont"


class PercentileCont(Aggregate):
    """``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``: interpolated, like PostgreSQL's."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction is between 0 and 1")
        extra.setdefault("output_field", DurationField())
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        twin = self.copy()
        twin.function = SQLITE_PERCENTILE
        twin.template = "%(function)s(%(expressions)s, %(fraction)s)"
        return super(PercentileCont, twin).as_sql(compiler, connection, **extra_context)


class _SQLitePercentile:
    """The SQLite twin of ``percentile_cont``: linear interpolation between the two nearest ranks."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        position = self.fraction * (len(ordered) - 1)
        low, high = math.floor(position), math.ceil(position)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_PERCENTILE, 2, _SQLitePercentile)


def register_sqlite_percentile() -> None:
    connection_created.connect(_on_connection, dispatch_uid="analytics.sqlite_percentile")


class _LocalPart(Func):
    """A part of ``moment`` read on the wall clock of the IANA zone in ``zone`` (a column)."""

    output_field = IntegerField()
    arg_joiner = " AT TIME ZONE "
    postgresql_template = ""
    sqlite_template = ""

    def __init__(self, moment: str | Expression, zone: str | Expression) -> None:
        super().__init__(moment, zone)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(compiler, connection, template=self.postgresql_template, **extra_context)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        moment = Func(self.source_expressions[0], template=self.sqlite_template, output_field=IntegerField())
        return moment.as_sql(compiler, connection)


class LocalHour(_LocalPart):
    """0-23 on the zone's wall clock (SQLite: in UTC)."""

    postgresql_template = "CAST(EXTRACT(HOUR FROM (%(expressions)s)) AS integer)"
    sqlite_template = "CAST(strftime('%%H', %(expressions)s) AS integer)"


class LocalWeekday(_LocalPart):
    """0-6, Monday 0, as the API counts weekdays (SQLite: in UTC)."""

    postgresql_template = "(CAST(EXTRACT(ISODOW FROM (%(expressions)s)) AS integer) - 1)"
    sqlite_template = "((CAST(strftime('%%w', %(expressions)s) AS integer) + 6) %% 7)"
