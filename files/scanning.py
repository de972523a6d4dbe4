"""ClamAV's clamd, spoken to directly: ``INSTREAM`` over TCP or a unix socket (``CLAMAV_URL``).

The only ClamAV code. The protocol: ``zINSTREAM\\0``, then chunks each
prefixed by a 4-byte big-endian length, then a zero length; clamd answers
``stream: OK\\0`` or ``stream: <signature> FOUND\\0`` (or ``... ERROR\\0``).
No scanner configured is a state of its own (``not_scanned``), never "clean".
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

CHUNK = 64 * 1024
TIMEOUT = 30.0


class ScannerUnavailable(Exception):
    """clamd could not be reached or answered something we cannot read: try again later."""


@dataclass(frozen=True)
class ScanVerdict:
    infected: bool
    signature: str = ""


def scanner_url() -> str:
    return str(getattr(settings, "CLAMAV_URL", "") or "").strip()


def scanner_configured() -> bool:
    return bool(scanner_url())


def _connect(url: str, timeout: float) -> socket.socket:
    parts = urlsplit(url)
    try:
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(parts.path)
            return sock
        if parts.scheme == "tcp" and parts.hostname:
            return socket.create_connection((parts.hostname, parts.port or 3310), timeout=timeout)
    except OSError as exc:
        raise ScannerUnavailable(f"clamd at {parts.scheme}://{parts.hostname or parts.path} cannot be reached") from exc
    raise ScannerUnavailable("CLAMAV_URL must be tcp://host:port or unix:///path")


def _read_reply(sock: socket.socket) -> str:
    reply = b""
    while not reply.endswith(b"\0"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
        if len(reply) > 64 * 1024:
            break
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()


def ping(*, url: str | None = None, timeout: float = 5.0) -> bool:
    """Whether clamd answers PONG (health checks, test set-up)."""
    try:
        with _connect(url or scanner_url(), timeout) as sock:
            sock.sendall(b"zPING\0")
            return _read_reply(sock) == "PONG"
    except (ScannerUnavailable, OSError):
        return False


def scan_chunks(chunks: Iterable[bytes], *, url: str | None = None, timeout: float = TIMEOUT) -> ScanVerdict:
    """Stream the bytes to clamd and return its verdict; ScannerUnavailable when it cannot give one."""
    target = url or scanner_url()
    if not target:
        raise ScannerUnavailable("No virus scanner is configured (CLAMAV_URL).")
    try:
        with _connect(target, timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            for chunk in chunks:
                for start in range(0, len(chunk), CHUNK):
                    piece = chunk[start : start + CHUNK]
                    sock.sendall(struct.pack("!I", len(piece)) + piece)
            sock.sendall(struct.pack("!I", 0))
            reply = _read_reply(sock)
    except OSError as exc:
        raise ScannerUnavailable(f"clamd failed while scanning: {exc.__class__.__name__}") from exc
    return parse_reply(reply)


def scan_bytes(data: bytes, *, url: str | None = None) -> ScanVerdict:
    return scan_chunks([data], url=url)


def parse_reply(reply: str) -> ScanVerdict:
    """``stream: OK`` → clean; ``stream: X FOUND`` → infected with X; anything else is an error."""
    _, _, verdict = reply.partition(": ")
    if verdict == "OK":
        return ScanVerdict(infected=False)
    if verdict.endswith(" FOUND"):
        return ScanVerdict(infected=True, signature=verdict.removesuffix(" FOUND").strip()[:200])
    raise ScannerUnavailable(f"clamd could not scan the file: {reply[:200]!r}")
