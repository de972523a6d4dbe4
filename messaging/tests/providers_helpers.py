"""SMS and push against loopback stand-ins for Twilio and FCM (see stand_ins.py); nothing of ours is patched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.tests.front_door import route_google_to
from messaging.tests.stand_ins import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FCM_PROJECT,
    FROM_NUMBER,
    GoogleStandIn,
    TwilioStandIn,
    serve_google,
    serve_twilio,
)

STATUS_CALLBACK_URL = "https://api.guardiannest.example/api/v1/messaging/twilio/status"


@pytest.fixture(scope="session")
def _twilio() -> Iterator[TwilioStandIn]:
    stand_in, server = serve_twilio()
    yield stand_in
    server.shutdown()
    server.server_close()


@pytest.fixture
def twilio(_twilio: TwilioStandIn, settings: Any) -> TwilioStandIn:
    """Twilio as the SDK sees it, emptied for each test, with our settings pointing at it."""
    _twilio.reset()
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_API_BASE = _twilio.base_url
    settings.TWILIO_STATUS_CALLBACK_URL = STATUS_CALLBACK_URL
    return _twilio


@pytest.fixture(scope="session")
def _google(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GoogleStandIn, Path]]:
    stand_in, server = serve_google()
    credentials = tmp_path_factory.mktemp("fcm") / "service-account.json"
    credentials.write_text(json.dumps(stand_in.service_account()))
    yield stand_in, credentials
    server.shutdown()
    server.server_close()


@pytest.fixture
def fcm(_google: tuple[GoogleStandIn, Path], settings: Any, monkeypatch: pytest.MonkeyPatch) -> GoogleStandIn:
    """FCM and Google's token endpoint as firebase-admin sees them: our settings name the project and
    credentials, and HTTPS to Google's hosts reaches the stand-in."""
    stand_in, credentials = _google
    stand_in.reset()
    settings.FIREBASE_PROJECT_ID = FCM_PROJECT
    settings.FIREBASE_CREDENTIALS = str(credentials)
    route_google_to(monkeypatch, stand_in.base_url)
    return stand_in
