"""A relying party at guardiannest.test and helpers that walk the ceremonies over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tests.authenticator import ORIGIN, RP_ID, SoftAuthenticator

BASE = "/api/v1/auth/passkeys"


@pytest.fixture
def relying_party(settings: Any) -> None:
    """What every passkey test runs under (each module asks for it with ``pytestmark``)."""
    settings.WEBAUTHN_RP_ID = RP_ID
    settings.WEBAUTHN_RP_NAME = "GuardianNest"
    settings.WEBAUTHN_ORIGINS = [ORIGIN]
    settings.WEBAUTHN_CHALLENGE_TTL = 300


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator()


def register_options(client: APIClient) -> dict[str, Any]:
    response = client.post(f"{BASE}/register/options", {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def register(client: APIClient, authenticator: SoftAuthenticator, name: str = "Phone", **create: Any) -> Any:
    """Both registration steps; returns the verify response."""
    credential = authenticator.create(register_options(client), **create)
    return client.post(f"{BASE}/register/verify", {"credential": credential, "name": name}, format="json")


def login_options(api: APIClient, email: str | None = None) -> dict[str, Any]:
    response = api.post(f"{BASE}/login/options", {"email": email} if email else {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def login_verify(api: APIClient, credential: Any, **extra: Any) -> Any:
    return api.post(f"{BASE}/login/verify", {"credential": credential}, format="json", **extra)


def login(api: APIClient, authenticator: SoftAuthenticator, email: str | None = None, **get: Any) -> Any:
    """Both sign-in steps; returns the verify response."""
    return login_verify(api, authenticator.get(login_options(api, email), **get))
