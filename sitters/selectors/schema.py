"""Table and column names for raw SQL, as the models declare them (``_meta``).

Each app owns its tables: raw SQL here names another app's table or column
only through its model, so a renamed table or column follows everywhere.
"""

from __future__ import annotations

from django.db import models


def table(model: type[models.Model]) -> str:
    return model._meta.db_table


def column(model: type[models.Model], name: str) -> str:
    """The column of a model's field (a foreign key's is its ``_id`` column)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return str(field.column)
