"""Fixtures of the files tests: a private media folder per test, a real clamd, a real S3 server (moto).

clamd: ``CLAMAV_URL`` from the environment when it answers (``make test``
starts one with a test signature database, see scripts/test-services.sh);
otherwise the ``clamd`` binary is started here on a free loopback port with
the same database. Neither available is a failure, never a skip: the scanner
tests must run.

S3: ``moto_server`` (moto's server mode, from requirements/dev.txt) on a free
loopback port for the session; each test that asks for ``s3`` gets its own
bucket and the default storage switched to django-storages' S3Storage.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from files import scanning, storage
from files.tests.samples import EICAR

S3_KEY, S3_SECRET, S3_REGION = "test-key", "test-secret", "us-east-1"


@pytest.fixture(autouse=True)
def _files_settings(settings: Any, tmp_path: Path) -> None:
    """Local storage in a fresh folder, no scanner, no CDN: each test opts into the rest."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.CLAMAV_URL = ""
    settings.FILES_CDN_DOMAIN = ""
    settings.FILES_SERVE_UNSCANNED = True
    settings.AWS_STORAGE_BUCKET_NAME = ""


def stored_keys() -> list[str]:
    """Every object in the default storage, whatever the prefix."""
    return sorted(item.key for item in storage.listing(""))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clamd_binary() -> str | None:
    return shutil.which("clamd") or next((p for p in ("/usr/sbin/clamd", "/usr/bin/clamd") if os.path.exists(p)), None)


def write_test_database(folder: Path) -> None:
    """The EICAR test string as a whole-file MD5 signature and as a body signature (inside a PNG or a PDF)."""
    import hashlib

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test.hdb").write_text(f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Test.EICAR\n")
    (folder / "test.ndb").write_text(f"Test.EICAR.Body:0:*:{EICAR.hex()}\n")


def _has_test_signatures(url: str) -> bool:
    """A clamd that also finds EICAR inside a PNG (not every database does): ours, from test-services.sh."""
    from files.tests.samples import png

    try:
        return scanning.scan_bytes(png(text={"Comment": EICAR.decode()}), url=url).infected
    except scanning.ScannerUnavailable:
        return False


@pytest.fixture(scope="session")
def clamd_url() -> Iterator[str]:
    from_env = os.environ.get("CLAMAV_URL", "")
    if from_env and _has_test_signatures(from_env):
        yield from_env
        return
    binary = _clamd_binary()
    if binary is None:
        pytest.fail(
            "The virus-scanner tests need clamd: run `make test` (it installs clamav-daemon when root), "
            "install clamav-daemon, or set CLAMAV_URL to a clamd with the EICAR test signature."
        )
    folder = Path(tempfile.mkdtemp(prefix="gn-clamd-"))
    write_test_database(folder / "db")
    port = _free_port()
    lines = [
        f"DatabaseDirectory {folder / 'db'}",
        f"TCPSocket {port}",
        "TCPAddr 127.0.0.1",
        "Foreground yes",
        f"LogFile {folder / 'clamd.log'}",
        "StreamMaxLength 40M",
    ]
    if os.geteuid() == 0:
        lines.append("User root")
    (folder / "clamd.conf").write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        [binary, "-c", str(folder / "clamd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"tcp://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not scanning.ping(url=url, timeout=1):
            if process.poll() is not None or time.monotonic() > deadline:
                log = (folder / "clamd.log").read_text() if (folder / "clamd.log").exists() else ""
                pytest.fail(f"clamd did not start: {log[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def clamav(settings: Any, clamd_url: str) -> str:
    settings.CLAMAV_URL = clamd_url
    return clamd_url


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3-speaking server on loopback for the session."""
    binary = Path(sys.executable).parent / "moto_server"
    command = [str(binary)] if binary.exists() else [sys.executable, "-m", "moto.server"]
    port = _free_port()
    process = subprocess.Popen(
        [*command, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                opener.open(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("moto_server did not start (is requirements/dev.txt installed?)")
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        region_name=S3_REGION,
    )


@pytest.fixture
def s3(settings: Any, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The default storage on a fresh bucket of the loopback S3 server, as production configures it."""
    bucket = f"gn-test-{uuid.uuid4().hex[:12]}"
    client = s3_client(moto_endpoint)
    client.create_bucket(Bucket=bucket)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_ACCESS_KEY_ID = S3_KEY
    settings.AWS_SECRET_ACCESS_KEY = S3_SECRET
    settings.AWS_S3_REGION_NAME = S3_REGION
    settings.AWS_S3_ENDPOINT_URL = moto_endpoint
    settings.AWS_DEFAULT_ACL = None
    settings.AWS_QUERYSTRING_AUTH = True
    settings.AWS_S3_FILE_OVERWRITE = False
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    return {"client": client, "bucket": bucket, "endpoint": moto_endpoint}
