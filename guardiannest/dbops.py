"""Migration operations shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db import migrations


class PostgreSQLOnlyRunSQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL and is skipped elsewhere (the SQLite embedded default).

    For what only PostgreSQL can do (triggers, extensions, exclusion constraints,
    GiST expression indexes); each such rule keeps a correct fallback in Python
    for SQLite. Unlike RunPython, ``sqlmigrate`` still prints the SQL for review.
    """

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
