"""Stripe's Idempotency-Key replay, which localstripe lacks: a loopback proxy of ours in front of it.

POSTs pass through to localstripe, except that a repeated ``Idempotency-Key``
answers the first response again without reaching localstripe (and a repeat
with another body answers Stripe's 400 ``idempotency_error``). Every request
is recorded, so a test can see which keys our code sent and how many requests
really moved money. Routes localstripe does not have (Connect) may be answered
here by a ``local`` responder (payments/tests/stripe_connect.py), behind the
same replay.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


@dataclass
class Seen:
    method: str
    path: str
    key: str
    forwarded: bool


@dataclass
class IdempotencyProxy:
    upstream: str
    seen: list[Seen] = field(default_factory=list)
    answers: dict[str, tuple[bytes, int, bytes]] = field(default_factory=dict)  # key -> (body sent, status, answer)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def forwarded(self, path_part: str) -> list[Seen]:
        return [item for item in self.seen if item.forwarded and path_part in item.path]


# (method, path with query, raw body, headers) -> (status, JSON body), or None to pass the request upstream.
Local = Callable[[str, str, bytes, Mapping[str, str]], tuple[int, bytes] | None]


def serve(upstream: str, local: Local | None = None) -> tuple[IdempotencyProxy, ThreadingHTTPServer]:
    proxy = IdempotencyProxy(upstream)

    class Handler(BaseHTTPRequestHandler):
        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            key = self.headers.get("Idempotency-Key", "") if self.command == "POST" else ""
            with proxy.lock:  # one request at a time: a replay must see the first answer
                if key and key in proxy.answers:
                    sent, status, answer = proxy.answers[key]
                    if sent != body:
                        status, answer = (
                            400,
                            b'{"error": {"type": "idempotency_error", "message": "Keys are for one request."}}',
                        )
                    proxy.seen.append(Seen(self.command, self.path, key, forwarded=False))
                elif local is not None and (mine := local(self.command, self.path, body, dict(self.headers))):
                    status, answer = mine
                    if key:
                        proxy.answers[key] = (body, status, answer)
                    proxy.seen.append(Seen(self.command, self.path, key, forwarded=True))
                else:
                    upstream = requests.request(
                        self.command,
                        proxy.upstream + self.path,
                        data=body,
                        headers={
                            "Authorization": self.headers.get("Authorization", ""),
                            "Content-Type": self.headers.get("Content-Type", ""),
                        },
                        timeout=10,
                    )
                    status, answer = upstream.status_code, upstream.content
                    if key:
                        proxy.answers[key] = (body, status, answer)
                    proxy.seen.append(Seen(self.command, self.path, key, forwarded=True))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = do_DELETE = _relay

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return proxy, server
