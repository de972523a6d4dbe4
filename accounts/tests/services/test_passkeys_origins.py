"""Which origins a ceremony may come from: configured ones, else https://<RP ID>; localhost only in dev."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.services.passkeys import expected_origins
from accounts.tests import verified_personas
from accounts.tests.authenticator import SoftAuthenticator
from accounts.tests.passkeys_helpers import login, register

# The personas with a verified email: these tests add or change ways to sign in.
parent = verified_personas.parent
other_parent = verified_personas.other_parent

pytestmark = pytest.mark.usefixtures("relying_party")


@pytest.fixture
def local_dev(settings: Any) -> Any:
    """The embedded default: RP ID localhost, no origins configured, DEBUG on."""
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = []
    settings.DEBUG = True
    return settings


def test_configured_origins_are_the_only_ones(settings: Any) -> None:
    settings.DEBUG = True
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = ["https://app.example"]

    assert expected_origins("http://localhost:5173") == ["https://app.example"]


def test_without_configuration_the_rp_id_over_https_is_expected(settings: Any) -> None:
    settings.WEBAUTHN_ORIGINS = []
    settings.WEBAUTHN_RP_ID = "guardiannest.example"

    assert expected_origins("https://guardiannest.example") == ["https://guardiannest.example"]
    assert expected_origins("http://localhost:3000") == ["https://guardiannest.example"]


@pytest.mark.parametrize("origin", ["http://localhost", "http://localhost:3000", "http://localhost:65535"])
def test_in_local_development_any_localhost_port_is_accepted(local_dev: Any, origin: str) -> None:
    assert origin in expected_origins(origin)


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost.evil.test",
        "http://localhost:3000.evil.test",
        "http://localhost:3000/",
        "http://localhost:3000\n",
        "https://evil.test",
        "http://127.0.0.1:3000",
        "http://evil.test#http://localhost:3000",
        None,
        3000,
    ],
)
def test_in_local_development_lookalikes_are_not_accepted(local_dev: Any, origin: Any) -> None:
    assert expected_origins(origin) == ["https://localhost"]


def test_production_never_accepts_localhost(settings: Any) -> None:
    settings.DEBUG = False
    settings.EMBEDDED = False
    settings.WEBAUTHN_RP_ID = "localhost"
    settings.WEBAUTHN_ORIGINS = []

    assert expected_origins("http://localhost:3000") == ["https://localhost"]


def test_a_localhost_ceremony_works_end_to_end_in_development(
    local_dev: Any, api: APIClient, parent_api: APIClient, authenticator: SoftAuthenticator
) -> None:
    assert register(parent_api, authenticator, origin="http://localhost:8000").status_code == 201
    assert login(api, authenticator, origin="http://localhost:5173").status_code == 200


def test_the_same_ceremony_is_refused_with_debug_off(
    local_dev: Any, parent_api: APIClient, authenticator: SoftAuthenticator
) -> None:
    local_dev.DEBUG = False
    local_dev.EMBEDDED = False

    assert register(parent_api, authenticator, origin="http://localhost:8000").status_code == 400
