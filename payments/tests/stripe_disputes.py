"""Stripe's disputes, which localstripe lacks: a loopback server of ours that answers them and forwards the rest.

``GET /v1/disputes/<id>`` answers the dispute a test put in :attr:`DisputeDesk.disputes`
(Stripe's ``resource_missing`` 404 for any other); every other request goes
on to localstripe unchanged, so the app talks to one Stripe, as in production.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

DISPUTE_PATH = re.compile(r"^/v1/disputes/(?P<id>[^/?]+)")


@dataclass
class DisputeDesk:
    upstream: str
    base: str = ""
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def put(self, dispute: dict[str, Any]) -> None:
        """What Stripe holds for this dispute from now on."""
        self.disputes[str(dispute["id"])] = dict(dispute)


def serve(upstream: str) -> tuple[DisputeDesk, ThreadingHTTPServer]:
    desk = DisputeDesk(upstream)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            found = DISPUTE_PATH.match(self.path)
            if found is not None and self.command == "GET":
                dispute = desk.disputes.get(found.group("id"))
                if dispute is None:
                    error = {"type": "invalid_request_error", "code": "resource_missing", "message": "No such dispute"}
                    self._answer(404, json.dumps({"error": error}).encode())
                else:
                    self._answer(200, json.dumps({"object": "dispute", **dispute}).encode())
                return
            upstream = requests.request(
                self.command,
                desk.upstream + self.path,
                data=body,
                headers={
                    "Authorization": self.headers.get("Authorization", ""),
                    "Content-Type": self.headers.get("Content-Type", ""),
                },
                timeout=10,
            )
            self._answer(upstream.status_code, upstream.content)

        do_GET = do_POST = do_DELETE = _relay

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    desk.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return desk, server
