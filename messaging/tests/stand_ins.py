"""Twilio's and Google's side of SMS and push, each on a loopback port: what our providers talk to.

Twilio (REST API 2010-04-01, form-encoded, HTTP Basic with the account SID and
auth token): ``POST /2010-04-01/Accounts/<sid>/Messages.json`` answers 201 with
the new message (``sid``, ``status: queued``), or what Twilio answers its magic
test numbers: ``+15005550001`` 400 code 21211 (invalid ``To``), ``+15005550009``
400 code 21614 (not a mobile number). ``fail_next`` queues a status (500, 429 …)
for the next requests; ``lose_next`` the answers of the next messages created
(Twilio takes the message, the connection closes before its answer). ``GET``
on the same path is the Messages list as the SDK's
``messages.list(to=, from_=, date_sent_after=…)`` reads it: the account's
messages newest first, filtered by ``To``, ``From`` and ``DateSent`` (``=``,
``<`` on or before, ``>`` on or after; a day or a time), in pages of
``PageSize`` (50; at most 1000) linked by ``next_page_uri``. A message is listed
as Twilio lists one just taken: ``status`` queued and no ``date_sent`` yet (so
a ``DateSent`` filter leaves it out, an assumption: Twilio documents no
answer for a message not yet sent).

Google: ``POST /token`` on the loopback port is the OAuth 2.0 token endpoint
for a service account's signed JWT grant (named by its ``token_uri``, checked
with the service account's public key); ``POST
https://fcm.googleapis.com/v1/projects/<project>/messages:send``, reached
through the server as Google's front door (accounts/tests/front_door.py),
is FCM HTTP v1, answering
``{"name": "projects/<p>/messages/<n>"}``, or by the token's first word the
errors FCM gives: ``unregistered…`` 404 UNREGISTERED, ``invalid…`` 400
INVALID_ARGUMENT about the token, ``badpayload…`` 400 INVALID_ARGUMENT about a
field, ``unavailable…`` 503, ``quota…`` 429 QUOTA_EXCEEDED, ``mismatch…`` 403
SENDER_ID_MISMATCH.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.tests.front_door import FrontDoor

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "stand-in-twilio-auth-token"
FROM_NUMBER = "+15005550006"
INVALID_NUMBER = "+15005550001"  # Twilio's magic number: 21211
NOT_MOBILE_NUMBER = "+15005550009"  # Twilio's magic number: 21614

FCM_PROJECT = "guardiannest-push-test"
ACCESS_TOKEN = "stand-in-fcm-access-token"
SERVICE_ACCOUNT_EMAIL = f"push-sender@{FCM_PROJECT}.iam.gserviceaccount.com"
# google-auth addresses the signed grant to Google's token endpoint whatever token_uri says.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
FCM_HOST = "fcm.googleapis.com"


@dataclass
class Received:
    path: str
    headers: Message  # looked up whatever the case
    body: bytes
    method: str = "POST"

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())

    def json(self) -> Any:
        return json.loads(self.body)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_json(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


def _serve(handler: type[_Handler], name: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server


# --- Twilio --------------------------------------------------------------------------------


MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
PAGE_SIZE, PAGE_SIZE_MAX = 50, 1000


@dataclass
class TwilioStandIn:
    base_url: str
    received: list[Received] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    lose_next: int = 0
    on_lookup: Callable[[], None] | None = None  # run before a list is answered (what happens meanwhile)
    store: list[dict[str, Any]] = field(default_factory=list)  # the Message resources, oldest first
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.received.clear()
        self.fail_next.clear()
        self.lose_next = 0
        self.on_lookup = None
        self.store.clear()

    @property
    def messages(self) -> list[Received]:
        """The POSTs that asked for a message (each one, whatever the answer)."""
        return [r for r in self.received if r.path == MESSAGES_PATH and r.method == "POST"]

    @property
    def lookups(self) -> list[Received]:
        """The GETs of the Messages list."""
        return [r for r in self.received if urlsplit(r.path).path == MESSAGES_PATH and r.method == "GET"]

    def create(self, form: dict[str, list[str]]) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC).replace(microsecond=0))
        message = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": form.get("To", [""])[0],
            "from": form.get("From", [""])[0],
            "body": form.get("Body", [""])[0],
            "status": "queued",
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "messaging_service_sid": None,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"},
        }
        with self.lock:
            self.store.append(message)
        return message

    def page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """One page of the Messages list, as Twilio answers ``GET …/Messages.json?<query>``."""
        size = min(int(query.get("PageSize", [PAGE_SIZE])[0]), PAGE_SIZE_MAX)
        number = int(query.get("Page", ["0"])[0])
        with self.lock:
            newest_first = list(reversed(self.store))
        kept = [m for m in newest_first if _listed(m, query)]
        chunk = kept[number * size : (number + 1) * size]
        filters = {key: values[0] for key, values in query.items() if key not in ("Page", "PageSize", "PageToken")}

        def uri(page: int, token: str = "") -> str:
            extra = {"PageToken": token} if token else {}
            return f"{MESSAGES_PATH}?{urlencode({**filters, 'PageSize': size, 'Page': page, **extra})}"

        more = len(kept) > (number + 1) * size
        return {
            "messages": chunk,
            "page": number,
            "page_size": size,
            "start": number * size,
            "end": number * size + max(len(chunk) - 1, 0),
            "uri": uri(number),
            "first_page_uri": uri(0),
            "previous_page_uri": uri(number - 1, "PB" + chunk[0]["sid"]) if number and chunk else None,
            "next_page_uri": uri(number + 1, "PA" + chunk[-1]["sid"]) if more else None,
        }


def _moment(value: str) -> datetime | date:
    """A DateSent value: ``YYYY-MM-DD`` (a day) or ``YYYY-MM-DDThh:mm:ssZ`` (what the SDK sends)."""
    if "T" in value:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return date.fromisoformat(value)


def _listed(message: dict[str, Any], query: dict[str, list[str]]) -> bool:
    if "To" in query and message["to"] != query["To"][0]:
        return False
    if "From" in query and message["from"] != query["From"][0]:
        return False
    bounds = {key: _moment(query[key][0]) for key in ("DateSent", "DateSent<", "DateSent>") if key in query}
    if not bounds:
        return True
    if message["date_sent"] is None:
        return False
    sent = parsedate_to_datetime(message["date_sent"])
    if "DateSent" in bounds:  # one day, whether given as a day or as the midnight the SDK sends
        day = bounds.pop("DateSent")
        if sent.date() != (day.date() if isinstance(day, datetime) else day):
            return False
    for key, bound in bounds.items():
        value: datetime | date = sent if isinstance(bound, datetime) else sent.date()
        if (key == "DateSent<" and value > bound) or (key == "DateSent>" and value < bound):
            return False
    return True


class _TwilioHandler(_Handler):
    stand_in: TwilioStandIn

    def authorised(self) -> bool:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_json(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return False
        return True

    def do_GET(self) -> None:
        self.stand_in.received.append(Received(self.path, self.headers, b"", method="GET"))
        if not self.authorised():
            return None
        parts = urlsplit(self.path)
        if parts.path != MESSAGES_PATH:
            return self.send_json(404, {"code": 20404, "message": "Not found", "status": 404})
        if self.stand_in.fail_next:
            status = self.stand_in.fail_next.pop(0)
            return self.send_json(status, {"code": 20500, "message": "Try again", "status": status})
        if self.stand_in.on_lookup is not None:
            self.stand_in.on_lookup()
        return self.send_json(200, self.stand_in.page(parse_qs(parts.query)))

    def do_POST(self) -> None:
        body = self.read_body()
        self.stand_in.received.append(Received(self.path, self.headers, body))
        if not self.authorised():
            return None
        if self.path != MESSAGES_PATH:
            return self.send_json(404, {"code": 20404, "message": "Not found", "status": 404})
        if self.stand_in.fail_next:
            status = self.stand_in.fail_next.pop(0)
            code = 20429 if status == 429 else 20500
            return self.send_json(status, {"code": code, "message": "Try again", "status": status})
        form = parse_qs(body.decode())
        to = form.get("To", [""])[0]
        if to == INVALID_NUMBER:
            return self.send_json(400, {"code": 21211, "message": f"'To' {to} is not valid.", "status": 400})
        if to == NOT_MOBILE_NUMBER:
            return self.send_json(400, {"code": 21614, "message": "'To' is not a mobile number", "status": 400})
        message = self.stand_in.create(form)
        if self.stand_in.lose_next:
            self.stand_in.lose_next -= 1
            self.close_connection = True  # taken, and the answer never leaves
            return None
        return self.send_json(201, message)


def serve_twilio() -> tuple[TwilioStandIn, ThreadingHTTPServer]:
    handler = type("TwilioHandler", (_TwilioHandler,), {})
    server = _serve(handler, "twilio-stand-in")
    stand_in = TwilioStandIn(f"http://127.0.0.1:{server.server_address[1]}")
    handler.stand_in = stand_in
    return stand_in, server


# --- Google: OAuth token endpoint and FCM HTTP v1 ------------------------------------------


def _fcm_error(status: int, grpc_status: str, message: str, code: str | None, *extra: dict[str, Any]) -> Any:
    details: list[dict[str, Any]] = [{"@type": FCM_ERROR_TYPE, "errorCode": code}] if code else []
    return {"error": {"code": status, "message": message, "status": grpc_status, "details": [*details, *extra]}}


FCM_ERRORS: dict[str, tuple[int, Any]] = {
    "unregistered": (404, _fcm_error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")),
    "invalid": (
        400,
        _fcm_error(
            400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT"
        ),
    ),
    "badpayload": (
        400,
        _fcm_error(
            400,
            "INVALID_ARGUMENT",
            "Invalid value at 'message.android.notification.color'",
            "INVALID_ARGUMENT",
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": "message.android.notification.color", "description": "Invalid"}],
            },
        ),
    ),
    "unavailable": (503, _fcm_error(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE")),
    "quota": (429, _fcm_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", "QUOTA_EXCEEDED")),
    "mismatch": (403, _fcm_error(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH")),
}


@dataclass
class GoogleStandIn:
    base_url: str
    service_account_key: rsa.RSAPrivateKey
    received: list[Received] = field(default_factory=list)
    token_grants: int = 0

    def reset(self) -> None:
        self.received.clear()

    @property
    def sends(self) -> list[Received]:
        return [r for r in self.received if r.path == f"/v1/projects/{FCM_PROJECT}/messages:send"]

    def service_account(self) -> dict[str, str]:
        pem = self.service_account_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": FCM_PROJECT,
            "private_key_id": "stand-in-push-key",
            "private_key": pem,
            "client_email": SERVICE_ACCOUNT_EMAIL,
            "client_id": "100000000000000000002",
            "token_uri": f"{self.base_url}/token",
        }


class _GoogleHandler(FrontDoor, _Handler):
    stand_in: GoogleStandIn

    def do_POST(self) -> None:
        body = self.read_body()
        if (self.google_host, self.path) == ("", "/token"):
            return self._token(body)
        self.stand_in.received.append(Received(self.path, self.headers, body))
        if (self.google_host, self.path) != (FCM_HOST, f"/v1/projects/{FCM_PROJECT}/messages:send"):
            return self.send_json(404, _fcm_error(404, "NOT_FOUND", "Not found", None))
        if self.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return self.send_json(401, _fcm_error(401, "UNAUTHENTICATED", "Request had invalid credentials.", None))
        token = str(json.loads(body).get("message", {}).get("token", ""))
        for prefix, (status, answer) in FCM_ERRORS.items():
            if token.startswith(prefix):
                return self.send_json(status, answer)
        return self.send_json(200, {"name": f"projects/{FCM_PROJECT}/messages/{secrets.randbelow(10**16)}"})

    def _token(self, body: bytes) -> None:
        assertion = parse_qs(body.decode()).get("assertion", [""])[0]
        try:
            jwt.decode(
                assertion,
                self.stand_in.service_account_key.public_key(),
                algorithms=["RS256"],
                audience=GOOGLE_TOKEN_AUDIENCE,
                issuer=SERVICE_ACCOUNT_EMAIL,
            )
        except jwt.PyJWTError:
            return self.send_json(400, {"error": "invalid_grant"})
        self.stand_in.token_grants += 1
        return self.send_json(200, {"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"})


def serve_google() -> tuple[GoogleStandIn, ThreadingHTTPServer]:
    handler = type("GoogleHandler", (_GoogleHandler,), {})
    server = _serve(handler, "fcm-stand-in")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stand_in = GoogleStandIn(f"http://127.0.0.1:{server.server_address[1]}", key)
    handler.stand_in = stand_in
    return stand_in, server
