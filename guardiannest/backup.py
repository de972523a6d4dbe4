"""Database backups: ``pg_dump`` (custom format) to var/backups and, with BACKUP_S3_BUCKET, to S3; restore
into a named database. Used by ``manage.py db_backup`` / ``db_restore`` (``make backup`` / ``make restore``).

The PostgreSQL client tools (pg_dump, pg_restore, same major version as the server or newer) must be on
PATH. The connection comes from DATABASES["default"]; the password, if any, is passed in PGPASSWORD,
never on a command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class Backup:
    path: Path
    s3_uri: str = ""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


def _connection(database: str | None = None) -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        raise BackupError("Backups are for PostgreSQL; DATABASE_URL names another database.")
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args += ["--dbname", database or str(db["NAME"])]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def backup_storage(bucket: str, prefix: str = "") -> Any:
    """The backup bucket through django-storages (files/storage.py owns boto3 itself; this needs no more)."""
    from storages.backends.s3 import S3Storage

    return S3Storage(
        bucket_name=bucket,
        location=prefix.strip("/"),
        endpoint_url=os.environ.get("BACKUP_S3_ENDPOINT_URL") or getattr(settings, "AWS_S3_ENDPOINT_URL", None),
        region_name=os.environ.get("BACKUP_S3_REGION") or getattr(settings, "AWS_S3_REGION_NAME", None),
        default_acl=None,
        file_overwrite=True,  # names carry the time; a retried upload replaces its own object
        querystring_auth=False,
        object_parameters={"ServerSideEncryption": "AES256"},
    )


def backup_create(*, directory: Path | None = None, bucket: str | None = None, prefix: str | None = None) -> Backup:
    """Dump the database to ``directory`` (default var/backups) and upload it to ``bucket`` when one is given
    (default: BACKUP_S3_BUCKET)."""
    directory = directory or Path(os.environ.get("BACKUP_DIR") or Path(settings.BASE_DIR) / "var" / "backups")
    directory.mkdir(parents=True, exist_ok=True)
    args, env = _connection()
    name = str(settings.DATABASES["default"]["NAME"])
    path = directory / f"{name}-{datetime.now(tz=UTC):%Y%m%dT%H%M%SZ}.dump"
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(path), *args], env)
    path.chmod(0o600)  # personal data: readable by the operator only
    bucket = bucket if bucket is not None else os.environ.get("BACKUP_S3_BUCKET", "")
    if not bucket:
        return Backup(path)
    prefix = prefix if prefix is not None else os.environ.get("BACKUP_S3_PREFIX", "backups/")
    key = f"{prefix}{path.name}"
    try:
        with path.open("rb") as dump:
            backup_storage(bucket, prefix).save(path.name, File(dump))
    except Exception as exc:  # boto3's errors have no common base worth naming
        raise BackupError(f"Upload to s3://{bucket}/{key} failed: {exc}") from exc
    return Backup(path, f"s3://{bucket}/{key}")


def _fetch(source: str, directory: Path) -> Path:
    if not source.startswith("s3://"):
        path = Path(source)
        if not path.is_file():
            raise BackupError(f"No backup file at {path}.")
        return path
    bucket, _, key = source.removeprefix("s3://").partition("/")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / Path(key).name
    try:
        with backup_storage(bucket).open(key, "rb") as remote, path.open("wb") as local:
            shutil.copyfileobj(remote, local, 1024 * 1024)
    except Exception as exc:
        raise BackupError(f"Download of {source} failed: {exc}") from exc
    return path


def backup_restore(*, source: str, database: str, replace: bool = False) -> None:
    """Restore ``source`` (a file, or s3://bucket/key) into ``database``, created when missing.

    An existing database is refused unless ``replace``: then its objects are dropped first.
    """
    if not _NAME.match(database):
        raise BackupError("A database name is letters, digits and underscores.")
    path = _fetch(source, Path(settings.BASE_DIR) / "var" / "backups")
    admin_args, env = _connection("postgres")
    exists_sql = f"SELECT 1 FROM pg_database WHERE datname = '{database}'"  # noqa: S608 - name checked above
    result = subprocess.run(  # noqa: S603
        [_tool("psql"), *admin_args, "-tAc", exists_sql], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"psql failed: {result.stderr.strip()}")
    exists = result.stdout.strip() == "1"
    if exists and not replace:
        raise BackupError(f"Database {database} exists; pass --replace to overwrite it.")
    if not exists:
        _run([_tool("psql"), *admin_args, "-c", f'CREATE DATABASE "{database}"'], env)
    _restore_into(path, database, clean=exists)


# pg_dump's script empties search_path; earthdistance's ll_to_earth() (used by an index of sitters) names
# its type unqualified and fails to inline then. The restore runs with public on the path instead.
_EMPTY_SEARCH_PATH = "SELECT pg_catalog.set_config('search_path', '', false);"
_PUBLIC_SEARCH_PATH = "SELECT pg_catalog.set_config('search_path', 'public, pg_catalog', false);"


def _restore_into(path: Path, database: str, *, clean: bool) -> None:
    """pg_restore's script, piped through psql in one transaction: all of it, or nothing."""
    args, env = _connection(database)
    extra = ["--clean", "--if-exists"] if clean else []
    script = subprocess.Popen(  # noqa: S603
        [_tool("pg_restore"), "--no-owner", "--no-privileges", *extra, "--file", "-", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    apply = subprocess.Popen(  # noqa: S603
        [_tool("psql"), "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "--single-transaction", *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert script.stdout is not None
    assert apply.stdin is not None
    try:
        for line in script.stdout:
            apply.stdin.write(
                _PUBLIC_SEARCH_PATH.encode() + b"\n" if line.strip() == _EMPTY_SEARCH_PATH.encode() else line
            )
        apply.stdin.close()
    except BrokenPipeError:
        pass  # psql stopped at an error: reported below
    script_error = script.stderr.read().decode() if script.stderr else ""
    apply_error = apply.stderr.read().decode() if apply.stderr else ""
    if script.wait() != 0:
        raise BackupError(f"pg_restore failed: {script_error.strip()[-2000:]}")
    if apply.wait() != 0:
        raise BackupError(f"psql failed restoring {path.name}: {apply_error.strip()[-2000:]}")
