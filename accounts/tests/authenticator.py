"""A software WebAuthn authenticator: a real P-256 key making real attestations and assertions.

It speaks exactly what a browser hands the server (``PublicKeyCredential.toJSON()``):
a "none" attestation object in CBOR with authenticator data (RP ID hash,
flags, sign count, AAGUID, credential id, COSE public key) for registration,
and for sign-in the authenticator data, the clientDataJSON and an ECDSA
signature over ``authData || SHA-256(clientDataJSON)``. Every way of going
wrong the tests need (origin, RP ID, missing user verification, a counter
going backwards, a replayed challenge) is a parameter, so the server's
verifier is exercised as it is, never patched.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40
ORIGIN = "https://app.guardiannest.test"
RP_ID = "guardiannest.test"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One credential on one device. ``counter=False`` models authenticators that always report 0."""

    def __init__(self, *, counter: bool = True, aaguid: bytes = b"\x11" * 16) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.aaguid = aaguid
        self.counter = counter
        self.sign_count = 0
        self.user_handle: bytes | None = None

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        # COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def _auth_data(self, rp_id: str, flags: int, sign_count: int, attested: bytes = b"") -> bytes:
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + sign_count.to_bytes(4, "big") + attested

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        user_verified: bool = True,
        challenge: str | None = None,
    ) -> dict[str, Any]:
        """What ``navigator.credentials.create(options)`` resolves to, as JSON."""
        self.user_handle = from_b64url(options["user"]["id"])
        client_data = self._client_data("webauthn.create", challenge or options["challenge"], origin)
        attested = (
            self.aaguid + len(self.credential_id).to_bytes(2, "big") + self.credential_id + self.cose_public_key()
        )
        flags = UP | AT | (UV if user_verified else 0)
        auth_data = self._auth_data(rp_id or options["rp"]["id"], flags, self.sign_count, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        rp_id: str | None = None,
        user_verified: bool = True,
        sign_count: int | None = None,
        challenge: str | None = None,
        user_handle: bytes | None = None,
    ) -> dict[str, Any]:
        """What ``navigator.credentials.get(options)`` resolves to, as JSON; the counter moves on."""
        if sign_count is None:
            if self.counter:
                self.sign_count += 1
            sign_count = self.sign_count
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        flags = UP | (UV if user_verified else 0)
        auth_data = self._auth_data(rp_id or options["rpId"], flags, sign_count)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        handle = user_handle if user_handle is not None else self.user_handle
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(handle) if handle is not None else None,
            },
        }
