"""A relying party at guardiannest.test and helpers that walk the ceremonies over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tests import verified_personas
from accounts.tests.passkeys.authenticator import ORIGIN, RP_ID, SoftAuthenticator

BASE = "/api/v1/auth/passkeys"


@pytest.fixture(autouse=True)
def _relying_party(settings: Any) -> None:
    settings.WEBAUTHN_RP_ID = RP_ID
    settings.WEBAUTHN_RP_NAME = "GuardianNest"
    settings.WEBAUTHN_ORIGINS = [ORIGIN]
    settings.WEBAUTHN_CHALLENGE_TTL = 300


@pytest.fixture
def device() -> SoftAuthenticator:
    return SoftAuthenticator()


def register_options(client: APIClient) -> dict[str, Any]:
    response = client.post(f"{BASE}/register/options", {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def register(client: APIClient, device: SoftAuthenticator, name: str = "Phone", **create: Any) -> Any:
    """Both registration steps; returns the verify response."""
    credential = device.create(register_options(client), **create)
    return client.post(f"{BASE}/register/verify", {"credential": credential, "name": name}, format="json")


def login_options(api: APIClient, email: str | None = None) -> dict[str, Any]:
    response = api.post(f"{BASE}/login/options", {"email": email} if email else {}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def login_verify(api: APIClient, credential: Any, **extra: Any) -> Any:
    return api.post(f"{BASE}/login/verify", {"credential": credential}, format="json", **extra)


def login(api: APIClient, device: SoftAuthenticator, email: str | None = None, **get: Any) -> Any:
    """Both sign-in steps; returns the verify response."""
    return login_verify(api, device.get(login_options(api, email), **get))


# Here the personas have a verified email: the tests change how they sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent
