"""The bench database: created, migrated, loaded with COPY once, and reused while its marker matches."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from bench._app import _ENSURE_USER, SEARCH_REDIS_DB, app_env, bench_redis_url, manage
from bench._harness import REPO, BenchError, log, python
from bench.search_data.rows import COLUMNS, build_sitters, spans_and_holds
from bench.search_data.world import HORIZON_DAYS

DB_NAME = "gn_bench_search"
REDIS_URL = bench_redis_url(SEARCH_REDIS_DB)
CACHE_KEY_PREFIX = "gnbenchsearch"
SETTINGS_MODULE = "bench.settings_search"
DATA_VERSION = 3  # 2: profiles carry search_latitude/search_longitude; 3: the exact location is encrypted
DEFAULT_SITTERS = 100_000
MAX_AGE_DAYS = 7  # spans start at the load day: older data would have few left


def bench_env() -> dict[str, str]:
    """The app's bench environment (bench/_harness.app_env) on this benchmark's own database and Redis db."""
    env = app_env(SETTINGS_MODULE)
    env.update(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": CACHE_KEY_PREFIX,
            "SITTER_AVAILABILITY_HORIZON_DAYS": str(HORIZON_DAYS),
        }
    )
    return env


def connect(dbname: str = DB_NAME, **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={dbname}", **kwargs)


# --- the database ------------------------------------------------------------------------------

MARKER_TABLE = "bench_search_meta"
# Loaded without these, then they are built once: far faster than maintaining them row by row.
DEFERRED_TABLES = ("sitters_availabilityspan", "sitters_weeklywindow", "sitters_sitterlanguage")


def create_database(*, drop: bool) -> bool:
    """Create ``gn_bench_search`` (dropping it first if asked); True if it was (re)created."""
    from psycopg import sql

    with connect("postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
        if exists and drop:
            log(f"dropping database {DB_NAME}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
            exists = None
        if not exists:
            log(f"creating database {DB_NAME}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
            return True
    return False


def loaded_marker(count: int, seed: int) -> dict[str, Any] | None:
    """The marker of a complete load that can be reused (same version, size and seed, recent), or None."""
    with connect() as conn:
        found = conn.execute("SELECT to_regclass(%s)", (MARKER_TABLE,)).fetchone()
        if found is None or found[0] is None:
            return None
        row = conn.execute(f"SELECT version, sitters, seed, loaded_on, seconds FROM {MARKER_TABLE}").fetchone()
        if row is None:
            return None
        version, sitters, marker_seed, loaded_on, seconds = row
        actual = conn.execute("SELECT count(*) FROM sitters_sitterprofile").fetchone()
        if (version, sitters, marker_seed) != (DATA_VERSION, count, seed) or actual is None or actual[0] != count:
            return None
        if (dt.date.today() - loaded_on).days > MAX_AGE_DAYS:
            return None
        estimates = conn.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)",
            ([table for table, _ in COLUMNS.values()],),
        ).fetchall()
        rows = {key: dict(estimates).get(table) for key, (table, _) in COLUMNS.items()}
        return {"loaded_on": loaded_on.isoformat(), "load_seconds": seconds, "rows_estimated": rows}


def _deferred_ddl(conn: Any) -> tuple[list[str], list[str]]:
    """DROP and CREATE statements for the secondary indexes, foreign keys, unique and exclusion constraints."""
    drops, creates = [], []
    for table in DEFERRED_TABLES:
        for name, definition in conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u', 'x')",
            (table,),
        ).fetchall():
            drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            creates.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in conn.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
            (table,),
        ).fetchall():
            drops.append(f'DROP INDEX "{name}"')
            creates.append(definition)
    # Indexes first (foreign keys use them to validate), constraints after.
    creates.sort(key=lambda statement: not statement.startswith("CREATE"))
    return drops, creates


def _copy(conn: Any, table: str, chunks: Iterator[str] | list[str]) -> int:
    name, columns = COLUMNS[table]
    written = 0
    buffer: list[str] = []
    size = 0
    with conn.cursor() as cursor, cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
        for chunk in chunks:
            buffer.append(chunk)
            size += len(chunk)
            written += chunk.count("\n")
            if size > 1 << 20:
                copy.write("".join(buffer))
                buffer, size = [], 0
        if buffer:
            copy.write("".join(buffer))
    return written


def load(count: int, seed: int, password_hash: str) -> dict[str, Any]:
    """Fill the (freshly migrated) database; returns row counts and seconds."""
    started = time.monotonic()
    today = dt.date.today()
    log(f"generating {count} sitters (seed {seed})")
    sitters, tables = build_sitters(count, seed, password_hash, today)
    counts: dict[str, int] = {}
    with connect() as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        drops, creates = _deferred_ddl(conn)
        for statement in drops:
            conn.execute(statement)
        for table in ("users", "files", "profiles", "languages", "certifications", "windows"):
            counts[table] = _copy(conn, table, tables.rows[table])
            tables.rows[table] = []
            log(f"  {COLUMNS[table][0]}: {counts[table]} rows ({time.monotonic() - started:.0f}s)")
        holds: list[str] = []

        def span_lines() -> Iterator[str]:
            for lines, sitter_holds in spans_and_holds(sitters, today):
                holds.extend(sitter_holds)
                yield lines

        counts["spans"] = _copy(conn, "spans", span_lines())
        log(f"  sitters_availabilityspan: {counts['spans']} rows ({time.monotonic() - started:.0f}s)")
        counts["holds"] = _copy(conn, "holds", holds)
        log(f"  sitters_hold: {counts['holds']} rows ({time.monotonic() - started:.0f}s)")
        for statement in creates:
            conn.execute(statement)
        log(f"  indexes and foreign keys rebuilt ({time.monotonic() - started:.0f}s)")
        conn.commit()
    with connect(autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")  # statistics and the visibility map (index-only scans)
        seconds = round(time.monotonic() - started, 1)
        conn.execute(f"CREATE TABLE {MARKER_TABLE} (version int, sitters int, seed int, loaded_on date, seconds real)")
        conn.execute(
            f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s, %s, %s, %s)",
            (DATA_VERSION, count, seed, today, seconds),
        )
    log(f"loaded and analysed in {seconds:.0f}s")
    return {"loaded_on": today.isoformat(), "load_seconds": seconds, "rows": counts}


_PASSWORD_HASH = """
from django.contrib.auth.hashers import make_password
print(make_password("bench-sitter-password-not-used"))
"""


def ensure_loaded(*, reload: bool = False, count: int = DEFAULT_SITTERS, seed: int = 6) -> dict[str, Any]:
    """The bench database, migrated, with the bench parent and ``count`` sitters; loads only when needed."""
    env = bench_env()
    if not reload:
        create_database(drop=False)
        marker = loaded_marker(count, seed)
        if marker is not None:
            log(f"{DB_NAME} already holds {count} sitters (loaded {marker['loaded_on']}); use --reload to rebuild")
            manage("shell", "-c", _ENSURE_USER, env=env)
            return {"reused": True, **marker}
    create_database(drop=True)
    log(f"migrating {DB_NAME}")
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("shell", "-c", _ENSURE_USER, env=env)

    password_hash = (
        subprocess.run(
            [python(), "manage.py", "shell", "-c", _PASSWORD_HASH],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )  # the shell may print its auto-imports first
    if "$" not in password_hash:
        raise BenchError(f"could not make a password hash: {password_hash!r}")
    return {"reused": False, **load(count, seed, password_hash)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reload", action="store_true", help="drop and reload even if the data is there")
    parser.add_argument("--sitters", type=int, default=DEFAULT_SITTERS, help="how many sitters (default 100000)")
    parser.add_argument("--seed", type=int, default=6, help="random seed (default 6)")
    args = parser.parse_args(argv)
    if not 1 <= args.sitters <= 1_000_000:
        parser.error("keep --sitters in 1..1000000")
    try:
        result = ensure_loaded(reload=args.reload, count=args.sitters, seed=args.seed)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 1
    log(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
