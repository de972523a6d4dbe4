"""Stripe on loopback: localstripe in a subprocess, and our settings pointed at it (nothing patched)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from payments.tests.stripe_app import WEBHOOK_SECRET, LocalStripe
from payments.tests.stripe_disputes import DisputeDesk
from payments.tests.stripe_disputes import serve as serve_disputes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def localstripe_server() -> Iterator[LocalStripe]:
    """One localstripe per test process (each xdist worker has its own), on a free loopback port."""
    port = _free_port()
    process = subprocess.Popen(
        # --from-scratch: localstripe otherwise loads /tmp/localstripe.pickle, which every running
        # localstripe rewrites on each change; a second process (the other xdist worker) can read it
        # half-written and die at start.
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = LocalStripe(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{server.base}/v1/customers", auth=(server.key, ""), timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.1)
    yield server
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def localstripe(localstripe_server: LocalStripe, settings: Any) -> LocalStripe:
    """Stripe is the provider for this test, served by localstripe, with an empty store."""
    requests.delete(f"{localstripe_server.base}/_config/data", timeout=5)
    settings.STRIPE_SECRET_KEY = localstripe_server.key
    settings.STRIPE_API_BASE = localstripe_server.base
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    return localstripe_server


@pytest.fixture
def stripe_disputes(localstripe: LocalStripe, settings: Any) -> Iterator[DisputeDesk]:
    """Stripe with disputes: our loopback server answers them and forwards the rest to localstripe."""
    desk, server = serve_disputes(localstripe.base)
    settings.STRIPE_API_BASE = desk.base
    yield desk
    server.shutdown()
    server.server_close()


from payments.tests.sides import side  # noqa: E402, F401  (the fixture, shared by the app's tests)
from payments.tests.stripe_connect import connect  # noqa: E402, F401  (Stripe Connect on loopback)
