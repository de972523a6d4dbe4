"""The hottest statements, prepared once per database connection instead of parsed and planned every time.

Django's PostgreSQL cursors bind parameters client-side (the query goes out as
text with its values in place), so PostgreSQL parses and plans each statement
on every call. For a statement run on every chat message that is about a
quarter of its time (bench/README.md). :func:`prepared_cursor` runs it on a
cursor that binds server-side instead, and psycopg prepares it on its first
run on each pooled connection (``prepare_threshold`` 0 in the database
OPTIONS, set with the connection pool: Django's own cursors never prepare).

Without the pool (``DATABASE_POOL=false``, e.g. behind pgbouncer in
transaction mode) the threshold is unset and the statement runs unprepared;
on SQLite, and while queries are logged (DEBUG, a test counting queries),
it is Django's usual cursor, so the log shows each statement with its values.
Either way errors are Django's.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, ServerBindingCursor
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format


def prepared_cursor(alias: str = "default") -> Any:
    """A cursor (use it as a context manager) whose statements are prepared per connection on PostgreSQL.

    What ``connection.cursor()`` does (health check, connection, time zone,
    Django's wrapper and error translation), on a server-binding cursor.
    """
    connection: BaseDatabaseWrapper = connections[alias]
    if connection.vendor != "postgresql" or connection.queries_logged:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]  # psycopg's Cursor(conn)
        # As Django's create_cursor: the connection's own loader unless the database's time zone differs.
        if connection.timezone != connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone:
            register_tzloader(connection.timezone, cursor)
        return connection._prepare_cursor(cursor)  # type: ignore[attr-defined]
