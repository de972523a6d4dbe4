"""Every migration can be undone: on a scratch PostgreSQL database with the demo data seeded, every app is
migrated back to zero and forward again (in a child process, so the test database is never touched)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

SCRIPT = """
import json
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

call_command("migrate", verbosity=0, interactive=False)
call_command("seed_demo", verbosity=0)
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM accounts_user")
    seeded_users = cursor.fetchone()[0]
executor = MigrationExecutor(connection)
labels = sorted(executor.loader.migrated_apps)
# One plan undoing every migration of every app, newest first (what `migrate <app> zero` runs, for all apps).
executor.migrate([(label, None) for label in labels])
left = [name for name in connection.introspection.table_names() if name != "django_migrations"]
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM django_migrations")
    applied_at_zero = cursor.fetchone()[0]
executor = MigrationExecutor(connection)
executor.migrate(executor.loader.graph.leaf_nodes())
executor = MigrationExecutor(connection)  # reads what is applied now
pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
print(json.dumps({"apps": labels, "tables_left": left, "applied_at_zero": applied_at_zero,
                  "seeded_users": seeded_users, "pending": len(pending),
                  "tables": len(connection.introspection.table_names())}))
"""


def _admin() -> psycopg.Connection:  # type: ignore[type-arg]
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def scratch_url() -> Iterator[str]:
    db = settings.DATABASES["default"]
    name = f"gn_migrations_{uuid.uuid4().hex[:10]}"
    with _admin() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    yield f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    with _admin() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_app_migrates_to_zero_and_back_with_the_demo_data(scratch_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": scratch_url, "DJANGO_SETTINGS_MODULE": "guardiannest.settings_test"}

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300, cwd=settings.BASE_DIR
    )

    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"accounts", "bookings", "payments", "sitters", "messaging", "emergencies", "files"} <= set(report["apps"])
    assert report["seeded_users"] > 0
    assert report["tables_left"] == []
    assert report["applied_at_zero"] == 0
    assert report["pending"] == 0 and report["tables"] > 30
