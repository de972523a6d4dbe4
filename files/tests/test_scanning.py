"""Virus scanning with a real clamd (EICAR test signature), and what happens without a scanner."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tests.problems import assert_problem
from files import scanning, storage
from files.scanning import ScannerUnavailable
from files.services import file_process
from files.tasks import file_process_task
from files.tests import samples
from files.tests.conftest import stored_keys
from files.tests.helpers import audit_actions, process, uploaded

pytestmark = pytest.mark.django_db

EICAR_PNG = samples.png(text={"Comment": samples.EICAR.decode()})
EICAR_PDF = samples.pdf(b"% " + samples.EICAR)


# --- the client against the real daemon ------------------------------------------------------------


def test_clamd_finds_eicar_and_passes_clean_bytes(clamd_url: str) -> None:
    assert scanning.ping(url=clamd_url)
    assert scanning.scan_bytes(samples.EICAR, url=clamd_url).infected
    found = scanning.scan_bytes(EICAR_PNG, url=clamd_url)
    assert found.infected and "EICAR" in found.signature
    assert scanning.scan_bytes(samples.png(), url=clamd_url) == scanning.ScanVerdict(infected=False)


def test_large_files_are_streamed_in_chunks(clamd_url: str) -> None:
    data = samples.jpeg(3000, 3000) * 3 + samples.EICAR  # several MB: many INSTREAM chunks

    assert scanning.scan_chunks([data[:1000], data[1000:]], url=clamd_url).infected


# --- the upload flow -------------------------------------------------------------------------------


@pytest.mark.parametrize(("purpose", "data"), [("message_attachment", EICAR_PNG), ("certification", EICAR_PDF)])
def test_an_infected_upload_is_quarantined_never_served_and_shown_rejected(
    clamav: str, parent_api: APIClient, parent: Any, purpose: str, data: bytes
) -> None:
    file = uploaded(parent_api, data, purpose)
    assert file.scan == "pending"

    assert process(file.pk) == "infected"

    file.refresh_from_db()
    assert (file.status, file.scan, file.rejection) == ("rejected", "infected", "infected")
    assert "EICAR" in file.scan_signature
    # The bytes left the private area for the quarantine; no variant was ever made from them.
    assert stored_keys() == [file.key]
    assert file.key.startswith(f"files/quarantine/{file.pk}/")
    assert file.variants == {}
    body = parent_api.get(f"/api/v1/files/{file.pk}").json()
    assert (body["status"], body["scan"], body["url"]) == ("rejected", "infected", None)
    assert body["thumbnails"] == {"small": None, "medium": None}
    # Even a link signed for it opens nothing.
    signature = storage.link_signature(file_id=file.pk, variant="original")
    url = f"/api/v1/files/{file.pk}/content?variant=original&signature={signature}"
    assert_problem(parent_api.get(url), 404, "not_found")
    assert "file.quarantined" in audit_actions(file)


def test_a_clean_upload_is_scanned_clean_then_ready_and_served(clamav: str, parent_api: APIClient) -> None:
    file = uploaded(parent_api, samples.jpeg(), "message_attachment")

    assert process(file.pk) == "ready"

    file.refresh_from_db()
    assert (file.status, file.scan) == ("ready", "clean")
    assert file.scanned_at is not None
    body = parent_api.get(f"/api/v1/files/{file.pk}").json()
    assert body["scan"] == "clean" and body["url"]
    assert parent_api.get(body["url"]).status_code == 200


def test_a_pending_file_is_not_served(clamav: str, parent_api: APIClient) -> None:
    file = uploaded(parent_api, samples.jpeg(), "avatar")

    body = parent_api.get(f"/api/v1/files/{file.pk}").json()

    assert (body["status"], body["scan"], body["url"], body["expires_in"]) == ("pending", "pending", None, None)


def test_an_unreachable_scanner_keeps_the_file_pending_and_retries(
    settings: Any, parent_api: APIClient, closed_port: int
) -> None:
    settings.CLAMAV_URL = f"tcp://127.0.0.1:{closed_port}"
    file = uploaded(parent_api, samples.jpeg(), "avatar")

    with pytest.raises(ScannerUnavailable):
        file_process(file_id=file.pk)
    result = file_process_task.apply(args=[str(file.pk)])

    assert result.state in ("RETRY", "FAILURE")  # eager mode: the retry is scheduled, not run
    file.refresh_from_db()
    assert (file.status, file.scan) == ("pending", "pending")
    assert "ScannerUnavailable" in file.last_error
    assert parent_api.get(f"/api/v1/files/{file.pk}").json()["url"] is None


# --- without a scanner -----------------------------------------------------------------------------


def test_without_a_scanner_files_are_not_scanned_never_clean(parent_api: APIClient) -> None:
    file = uploaded(parent_api, EICAR_PNG, "message_attachment")  # nobody looks: it goes through

    assert process(file.pk) == "ready"

    file.refresh_from_db()
    assert (file.status, file.scan) == ("ready", "not_scanned")


@pytest.mark.parametrize(("serve", "served"), [(True, True), (False, False)])
def test_serving_unscanned_files_is_a_setting(settings: Any, parent_api: APIClient, serve: bool, served: bool) -> None:
    file = uploaded(parent_api, samples.jpeg(), "avatar")
    process(file.pk)
    settings.FILES_SERVE_UNSCANNED = serve

    body = parent_api.get(f"/api/v1/files/{file.pk}").json()

    assert body["status"] == "ready" and body["scan"] == "not_scanned"
    assert (body["url"] is not None) is served
    assert (body["thumbnails"]["small"] is not None) is served


def test_a_scanner_switched_off_after_upload_says_not_scanned(
    settings: Any, clamav: str, parent_api: APIClient
) -> None:
    file = uploaded(parent_api, samples.jpeg(), "avatar")
    settings.CLAMAV_URL = ""

    assert process(file.pk) == "ready"

    file.refresh_from_db()
    assert file.scan == "not_scanned"


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 50,
    "JWT_SECRET": "y" * 40,
    "FIELD_ENCRYPTION_KEYS": "t1:dGVzdC1rZXktb25lLTMyLWJ5dGVzLWxvbmctISEhISE=",
    "BLIND_INDEX_KEY": "z" * 20,
    "ALLOWED_HOSTS": "api.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


@pytest.mark.parametrize(
    ("env", "served"),
    [
        ({}, "True"),  # the embedded default (DEBUG on, no Redis)
        (PRODUCTION, "False"),
        ({**PRODUCTION, "FILES_SERVE_UNSCANNED": "true"}, "True"),  # staff chose to
    ],
)
def test_the_serving_default_follows_the_mode(tmp_path: Path, env: dict[str, str], served: str) -> None:
    root = Path(__file__).resolve().parents[2]
    code = "from guardiannest import settings; print(settings.FILES_SERVE_UNSCANNED)"
    clean = {"PATH": os.environ.get("PATH", ""), "VAR_DIR": str(tmp_path), **env}

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=clean, capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == served


# --- the protocol's edges (a unix socket, odd replies) ------------------------------------------------


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def unix_clamd(tmp_path: Path) -> Iterator[tuple[str, list[bytes]]]:
    """A stand-in speaking clamd's INSTREAM on a unix socket: answers FOUND when it sees EICAR."""
    path = str(tmp_path / "clamd.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen()
    received: list[bytes] = []

    def exactly(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            piece = conn.recv(size - len(data))
            if not piece:
                raise ConnectionError("client went away")
            data += piece
        return data

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                command, data = exactly(conn, 10), b""
                while length := struct.unpack("!I", exactly(conn, 4))[0]:
                    data += exactly(conn, length)
                received.append(command + b"|" + data)
                conn.sendall(b"stream: Fake.EICAR FOUND\0" if samples.EICAR in data else b"stream: OK\0")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"unix://{path}", received
    server.close()


def test_a_unix_socket_url_is_spoken_to(unix_clamd: tuple[str, list[bytes]]) -> None:
    url, received = unix_clamd

    assert scanning.scan_bytes(b"hello", url=url) == scanning.ScanVerdict(infected=False)
    assert scanning.scan_bytes(samples.EICAR, url=url) == scanning.ScanVerdict(True, "Fake.EICAR")
    assert received[0] == b"zINSTREAM\0|hello"


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("stream: OK", scanning.ScanVerdict(False)),
        ("stream: Win.Test.EICAR_HDB-1 FOUND", scanning.ScanVerdict(True, "Win.Test.EICAR_HDB-1")),
    ],
)
def test_replies_are_read(reply: str, verdict: scanning.ScanVerdict) -> None:
    assert scanning.parse_reply(reply) == verdict


@pytest.mark.parametrize("reply", ["INSTREAM size limit exceeded. ERROR", "", "stream: Can't allocate memory ERROR"])
def test_errors_are_not_verdicts(reply: str) -> None:
    with pytest.raises(ScannerUnavailable):
        scanning.parse_reply(reply)


def test_bad_urls_and_no_scanner_are_unavailable(settings: Any) -> None:
    settings.CLAMAV_URL = ""
    with pytest.raises(ScannerUnavailable):
        scanning.scan_bytes(b"x")
    with pytest.raises(ScannerUnavailable):
        scanning.scan_bytes(b"x", url="http://127.0.0.1:3310")
    assert scanning.ping(url="tcp://127.0.0.1:1") is False
