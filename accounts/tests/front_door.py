"""Google's API hosts on a loopback port, for an SDK that only talks to ``https://*.googleapis.com``.

firebase-admin has no public option for the endpoints it calls (the ID-token
certificates, the Identity Toolkit, FCM). It calls them through ``requests``,
which honours ``https_proxy`` and ``REQUESTS_CA_BUNDLE``, so a stand-in is
reached the way any client reaches Google through a proxy: its server answers
``CONNECT`` for Google's API hosts, speaks TLS inside the tunnel with a
certificate of a test authority, and serves the tunnelled requests with its own
handler, which sees Google's real paths and the ``Host`` asked for. Nothing of
ours, and nothing of the SDK, is patched.

A stand-in's handler derives from :class:`FrontDoor`; :func:`route_google_to`
points this process's HTTPS traffic at its server for one test.
"""

from __future__ import annotations

import atexit
import datetime
import functools
import ipaddress
import shutil
import ssl
import tempfile
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

GOOGLE_HOSTS = frozenset({"www.googleapis.com", "identitytoolkit.googleapis.com", "fcm.googleapis.com"})


@functools.cache
def _authority() -> tuple[Path, ssl.SSLContext]:
    """(the test CA's certificate file, a server context with a certificate it signed for Google's hosts)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "GuardianNest test authority")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(host) for host in sorted(GOOGLE_HOSTS)]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "googleapis.com stand-in")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="google-front-door-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "leaf.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "leaf.pem", folder / "leaf.key")
    return folder / "ca.pem", context


class FrontDoor(BaseHTTPRequestHandler):
    """A handler that also answers ``CONNECT`` to Google's API hosts, then serves the tunnel over TLS."""

    protocol_version = "HTTP/1.1"  # keep-alive, as Google and the SDK's connection pools expect

    @property
    def google_host(self) -> str:
        """The host a tunnelled request was for (``""`` for a plain request to the loopback port)."""
        return getattr(self, "_tunnel_host", "")

    def do_CONNECT(self) -> None:
        host, _, port = self.path.rpartition(":")
        if host not in GOOGLE_HOSTS or port != "443":
            self.send_error(403, "Only Google's API hosts are stood in for here")
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        _, context = _authority()
        tunnel = context.wrap_socket(self.connection, server_side=True)
        self.connection = self.request = tunnel
        self.rfile = tunnel.makefile("rb")
        self.wfile = tunnel.makefile("wb")
        self._tunnel_host = host
        self.close_connection = False

    def finish(self) -> None:
        super().finish()
        if self.google_host:
            self.connection.close()


def route_google_to(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    """For one test: HTTPS goes through the stand-in at ``base_url``, trusted for Google's hosts; loopback is direct."""
    ca_file, _ = _authority()
    monkeypatch.setenv("https_proxy", base_url)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
