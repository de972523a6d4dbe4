"""Google's side of Firebase Authentication, on a loopback port: what firebase-admin talks to.

The SDK calls Google's own URLs; the server is their front door (front_door.py):

* ``GET https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com``:
  the ID-token signing certificates, ``{kid: PEM}``.
* ``POST https://identitytoolkit.googleapis.com/v1/projects/<project>/accounts:lookup``:
  the user look-up that ``check_revoked=True`` makes; answers the user record
  (``disabled``, ``validSince``) or no user.
* ``POST /token`` on the loopback port itself: Google's OAuth 2.0 token
  endpoint for the service account's signed JWT grant, named by the service
  account's ``token_uri`` (the SDK needs an access token for the user
  look-up); the grant is verified with the service account's public key.

ID tokens are signed here like Google signs them: RS256 with a ``kid``
naming one of the served certificates, and Firebase's claims.
"""

from __future__ import annotations

import base64
import datetime
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from accounts.tests.front_door import FrontDoor

PROJECT_ID = "guardiannest-test"
CERTS = ("www.googleapis.com", "/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com")
LOOKUP = ("identitytoolkit.googleapis.com", f"/v1/projects/{PROJECT_ID}/accounts:lookup")
KID = "stand-in-key-1"
ACCESS_TOKEN = "stand-in-oauth-access-token"
SERVICE_ACCOUNT_EMAIL = f"firebase-adminsdk@{PROJECT_ID}.iam.gserviceaccount.com"
# google-auth addresses the signed grant to Google's token endpoint whatever token_uri says.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def certificate_pem(key: rsa.RSAPrivateKey) -> str:
    """A self-signed X.509 certificate of the key, as Google publishes its signing keys."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.system.gserviceaccount.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(claims: dict[str, Any], *, kid: str = KID) -> str:
    """``alg: none``: a token anyone can write."""
    header = {"alg": "none", "kid": kid, "typ": "JWT"}
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


@dataclass
class StandIn:
    """The state Google holds; tests change it between requests."""

    base_url: str
    signing_key: rsa.RSAPrivateKey
    service_account_key: rsa.RSAPrivateKey
    certs: dict[str, str] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    certs_status: int = 200
    lookups: list[dict[str, Any]] = field(default_factory=list)  # {"uids": [...], "authorization": "..."}

    def reset(self) -> None:
        self.certs = {KID: certificate_pem(self.signing_key)}
        self.users = {}
        self.certs_status = 200
        self.lookups = []

    def add_user(
        self,
        uid: str,
        *,
        email: str | None = None,
        email_verified: bool = True,
        disabled: bool = False,
        valid_since: int | None = None,
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "localId": uid,
            "emailVerified": email_verified,
            "disabled": disabled,
            "validSince": str(valid_since if valid_since is not None else int(time.time()) - 3600),
            "createdAt": str(int(time.time() * 1000) - 86_400_000),
            "providerUserInfo": [],
        }
        if email:
            record["email"] = email
        self.users[uid] = record
        return record

    def claims(
        self,
        *,
        uid: str = "firebase-uid-1",
        email: str | None = "new.parent@example.com",
        email_verified: bool = True,
        provider: str = "google.com",
        age: int = 60,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Firebase's ID-token claims, issued ``age`` seconds ago; ``overrides`` replace any (None drops it)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": f"https://securetoken.google.com/{PROJECT_ID}",
            "aud": PROJECT_ID,
            "auth_time": now - age,
            "user_id": uid,
            "sub": uid,
            "iat": now - age,
            "exp": now - age + 3600,
            "firebase": {"identities": {}, "sign_in_provider": provider},
        }
        if email is not None:
            claims["email"] = email
            claims["email_verified"] = email_verified
            claims["firebase"]["identities"] = {"email": [email]}
        for key, value in overrides.items():
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        return claims

    def sign(self, claims: dict[str, Any], *, key: rsa.RSAPrivateKey | None = None, kid: str | None = KID) -> str:
        headers = {"kid": kid} if kid is not None else {}
        return jwt.encode(claims, key or self.signing_key, algorithm="RS256", headers=headers)

    def token(self, *, register: bool = True, **claim_args: Any) -> str:
        """A good ID token; the Firebase user is registered for the revocation look-up unless told not to."""
        claims = self.claims(**claim_args)
        if register and claims["sub"] not in self.users:
            self.add_user(claims["sub"], email=claims.get("email"), email_verified=bool(claims.get("email_verified")))
        return self.sign(claims)

    def service_account(self) -> dict[str, str]:
        return {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": "stand-in-service-account-key",
            "private_key": private_pem(self.service_account_key),
            "client_email": SERVICE_ACCOUNT_EMAIL,
            "client_id": "100000000000000000001",
            "token_uri": f"{self.base_url}/token",
        }


class _Handler(FrontDoor):
    stand_in: StandIn

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        if (self.google_host, self.path) != CERTS:
            return self._send(404, {"error": "not found"})
        if self.stand_in.certs_status != 200:
            return self._send(self.stand_in.certs_status, {"error": "unavailable"})
        return self._send(200, self.stand_in.certs)

    def do_POST(self) -> None:
        body = self._body()
        if (self.google_host, self.path) == ("", "/token"):
            return self._token(body)
        if (self.google_host, self.path) == LOOKUP:
            return self._lookup(body)
        return self._send(404, {"error": {"code": 404, "message": "NOT_FOUND", "status": "NOT_FOUND"}})

    def _token(self, body: bytes) -> None:
        form = parse_qs(body.decode())
        assertion = (form.get("assertion") or [""])[0]
        try:
            jwt.decode(
                assertion,
                self.stand_in.service_account_key.public_key(),
                algorithms=["RS256"],
                audience=GOOGLE_TOKEN_AUDIENCE,
                issuer=SERVICE_ACCOUNT_EMAIL,
            )
        except jwt.PyJWTError:
            return self._send(400, {"error": "invalid_grant"})
        return self._send(200, {"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"})

    def _lookup(self, body: bytes) -> None:
        authorization = self.headers.get("Authorization", "")
        uids = json.loads(body or b"{}").get("localId", [])
        self.stand_in.lookups.append({"uids": uids, "authorization": authorization})
        if authorization != f"Bearer {ACCESS_TOKEN}":
            return self._send(401, {"error": {"code": 401, "message": "UNAUTHENTICATED", "status": "UNAUTHENTICATED"}})
        users = [self.stand_in.users[uid] for uid in uids if uid in self.stand_in.users]
        answer: dict[str, Any] = {"kind": "identitytoolkit#GetAccountInfoResponse"}
        if users:
            answer["users"] = users
        return self._send(200, answer)


def serve(
    signing_key: rsa.RSAPrivateKey, service_account_key: rsa.RSAPrivateKey
) -> tuple[StandIn, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    stand_in = StandIn(f"http://127.0.0.1:{server.server_address[1]}", signing_key, service_account_key)
    stand_in.reset()
    _Handler.stand_in = stand_in
    threading.Thread(target=server.serve_forever, name="firebase-stand-in", daemon=True).start()
    return stand_in, server
