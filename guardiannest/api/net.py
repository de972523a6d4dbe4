"""Who is calling: the client IP behind our own proxies, never a spoofed header."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request

from guardiannest.client import Client


def client_ip(request: HttpRequest) -> str:
    """The right-most untrusted address.

    With ``TRUSTED_PROXY_COUNT`` = N, our N proxies each appended one address to
    X-Forwarded-For, so the client is the N-th entry from the right; anything
    further left was written by the client and is ignored. With no trusted
    proxy, or from a peer that is not one of ``TRUSTED_PROXY_IPS``, the header
    is ignored altogether. Servers never rewrite the peer address themselves
    (uvicorn runs with ``proxy_headers=False``), so this is the only reading.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0 or not is_trusted_proxy(remote):
        return remote
    forwarded = [part.strip() for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part.strip()]
    if not forwarded:
        return remote
    return forwarded[-min(count, len(forwarded))]


def is_trusted_proxy(peer: str) -> bool:
    """Whether ``peer`` is one of the configured proxies (``TRUSTED_PROXY_IPS``)."""
    allowed = list(getattr(settings, "TRUSTED_PROXY_IPS", ["*"]))
    if "*" in allowed:
        return True
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in allowed)


def client_of(request: HttpRequest | Request) -> Client:
    """The caller as services see them: the address (:func:`client_ip`) and the User-Agent."""
    raw = request._request if isinstance(request, Request) else request
    return Client(ip=client_ip(raw), user_agent=str(raw.headers.get("User-Agent", "")))
