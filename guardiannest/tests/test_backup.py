"""make backup / make restore: the test database dumped to a file and to S3 (moto on loopback), restored into a
scratch database with the same rows; a taken name is refused."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from guardiannest.backup import backup_create, backup_restore

# pg_dump sees committed rows only: the test database as migrate left it (no test writes, so no flush).
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TABLES = ("django_migrations", "django_content_type", "auth_permission", "waffle_switch", "waffle_flag")


def _connect(database: str) -> psycopg.Connection[Any]:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=database,
        autocommit=True,
    )


def _counts(database: str) -> dict[str, int]:
    with _connect(database) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


@pytest.fixture
def scratch_database() -> Iterator[str]:
    name = f"gn_restore_{uuid.uuid4().hex[:10]}"
    yield name
    with _connect("postgres") as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def s3_bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    """moto's S3 server on a free loopback port, a fresh bucket, and the backup settings pointing at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    binary = Path(sys.executable).parent / "moto_server"
    command = [str(binary)] if binary.exists() else [sys.executable, "-m", "moto.server"]
    process = subprocess.Popen(
        [*command, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                opener.open(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.2)
        for name, value in {
            "BACKUP_S3_ENDPOINT_URL": endpoint,
            "BACKUP_S3_REGION": "eu-central-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "NO_PROXY": "127.0.0.1,localhost",
        }.items():
            monkeypatch.setenv(name, value)
        client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-central-1")
        bucket = f"gn-backups-{uuid.uuid4().hex[:8]}"
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        yield client, bucket
    finally:
        process.terminate()
        process.wait(10)


def test_backup_to_s3_restores_into_a_scratch_database_with_the_same_rows(
    tmp_path: Path, s3_bucket: tuple[Any, str], scratch_database: str
) -> None:
    client, bucket = s3_bucket
    expected = _counts(str(settings.DATABASES["default"]["NAME"]))
    assert expected["django_migrations"] > 20 and expected["waffle_switch"] >= 1

    backup = backup_create(directory=tmp_path, bucket=bucket, prefix="nightly/")

    assert backup.path.stat().st_size > 0 and backup.path.stat().st_mode & 0o077 == 0
    assert backup.s3_uri == f"s3://{bucket}/nightly/{backup.path.name}"
    stored = client.head_object(Bucket=bucket, Key=f"nightly/{backup.path.name}")
    assert stored["ContentLength"] == backup.path.stat().st_size
    backup.path.unlink()  # restore from S3 alone

    backup_restore(source=backup.s3_uri, database=scratch_database)

    assert _counts(scratch_database) == expected


def test_restore_refuses_a_database_that_exists_unless_told_to_replace(tmp_path: Path, scratch_database: str) -> None:
    call_command("db_backup", "--dir", str(tmp_path), "--bucket", "")
    (dump,) = tmp_path.glob("*.dump")
    call_command("db_restore", str(dump), "--database", scratch_database)
    restored = _counts(scratch_database)
    with _connect(scratch_database) as connection:  # the copy moves on
        connection.execute(
            "INSERT INTO waffle_switch (name, active, note, created, modified) "
            "VALUES ('scratch', true, '', now(), now())"
        )

    with pytest.raises(CommandError, match="exists"):
        call_command("db_restore", str(dump), "--database", scratch_database)
    assert _counts(scratch_database)["waffle_switch"] == restored["waffle_switch"] + 1
    call_command("db_restore", str(dump), "--database", scratch_database, "--replace")

    assert _counts(scratch_database) == restored
    with pytest.raises(CommandError, match="letters"):
        call_command("db_restore", str(dump), "--database", "x; DROP DATABASE postgres")
