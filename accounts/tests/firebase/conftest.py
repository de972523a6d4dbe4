"""Firebase sign-in against a loopback stand-in for Google (see google.py); nothing of ours is patched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tests import verified_personas
from accounts.tests.firebase.front_door import route_google_to
from accounts.tests.firebase.google import PROJECT_ID, StandIn, rsa_key, serve

SIGN_IN = "/api/v1/auth/firebase"
LINK = "/api/v1/auth/firebase/link"


@pytest.fixture(scope="session")
def _google(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StandIn, Path]]:
    stand_in, server = serve(rsa_key(), rsa_key())
    credentials = tmp_path_factory.mktemp("firebase") / "service-account.json"
    credentials.write_text(json.dumps(stand_in.service_account()))
    yield stand_in, credentials
    server.shutdown()
    server.server_close()


@pytest.fixture
def google(_google: tuple[StandIn, Path], settings: Any, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    """Google as seen by firebase-admin, reset for each test: our settings name its project and credentials,
    and HTTPS to Google's hosts reaches it."""
    stand_in, credentials = _google
    stand_in.reset()
    settings.FIREBASE_PROJECT_ID = PROJECT_ID
    settings.FIREBASE_CREDENTIALS = str(credentials)
    route_google_to(monkeypatch, stand_in.base_url)
    return stand_in


@pytest.fixture(scope="session")
def other_key() -> Any:
    """Someone else's RSA key: signs tokens that name our kid."""
    return rsa_key()


def sign_in(api: APIClient, id_token: Any, **extra: Any) -> Any:
    return api.post(SIGN_IN, {"id_token": id_token}, format="json", **extra)


# Here the personas have a verified email: the tests change how they sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent
