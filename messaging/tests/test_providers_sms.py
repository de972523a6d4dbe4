"""TwilioSmsProvider against a loopback Twilio: what it sends, and how it sorts Twilio's answers."""

from __future__ import annotations

import base64
import socket
from typing import Any

import pytest

from messaging.providers.base import PermanentFailure, SmsMessage, TemporaryFailure
from messaging.providers.registry import sms_provider
from messaging.providers.sms import IDEMPOTENCY_HEADER, TwilioSmsProvider
from messaging.tests.providers_helpers import STATUS_CALLBACK_URL
from messaging.tests.stand_ins import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    INVALID_NUMBER,
    NOT_MOBILE_NUMBER,
    TwilioStandIn,
)

TO = "+14155550100"


def test_the_registry_picks_twilio_once_it_is_configured(twilio: TwilioStandIn) -> None:
    assert isinstance(sms_provider(), TwilioSmsProvider)


def test_a_message_is_created_with_the_number_body_callback_and_idempotency_token(twilio: TwilioStandIn) -> None:
    # when
    result = TwilioSmsProvider().send_sms(SmsMessage(to=TO, body="Your sitter is on the way"), idempotency_key="d-1")

    # then Twilio was asked once, as its REST API expects
    [request] = twilio.messages
    form = request.form()
    assert form["To"] == [TO]
    assert form["From"] == [FROM_NUMBER]
    assert form["Body"] == ["Your sitter is on the way"]
    assert form["StatusCallback"] == [STATUS_CALLBACK_URL]
    assert request.headers[IDEMPOTENCY_HEADER] == "d-1"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (
        request.headers["Authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    )
    # and the answer names Twilio's message, to match delivery reports against
    assert result.provider == "twilio"
    assert result.provider_id.startswith("SM") and len(result.provider_id) == 34
    assert result.status == "queued"


def test_a_message_of_its_own_callback_url_keeps_it(twilio: TwilioStandIn) -> None:
    own = "https://hooks.guardiannest.example/other"

    TwilioSmsProvider().send_sms(SmsMessage(to=TO, body="x", status_callback=own), idempotency_key="d-2")

    assert twilio.messages[0].form()["StatusCallback"] == [own]


def test_no_callback_is_asked_for_without_a_public_url(twilio: TwilioStandIn, settings: Any) -> None:
    settings.TWILIO_STATUS_CALLBACK_URL = ""

    TwilioSmsProvider().send_sms(SmsMessage(to=TO, body="x"), idempotency_key="d-3")

    assert "StatusCallback" not in twilio.messages[0].form()


def test_each_send_carries_its_own_idempotency_token_and_none_leaks_to_the_next(twilio: TwilioStandIn) -> None:
    provider = TwilioSmsProvider()

    provider.send_sms(SmsMessage(to=TO, body="one"), idempotency_key="key-one")
    provider.send_sms(SmsMessage(to=TO, body="two"), idempotency_key="key-two")

    assert [r.headers[IDEMPOTENCY_HEADER] for r in twilio.messages] == ["key-one", "key-two"]


@pytest.mark.parametrize(("number", "code"), [(INVALID_NUMBER, "21211"), (NOT_MOBILE_NUMBER, "21614")])
def test_a_number_twilio_refuses_is_a_permanent_failure(twilio: TwilioStandIn, number: str, code: str) -> None:
    with pytest.raises(PermanentFailure) as refused:
        TwilioSmsProvider().send_sms(SmsMessage(to=number, body="x"), idempotency_key="d-4")

    assert refused.value.provider_code == code
    assert not isinstance(refused.value, TemporaryFailure)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_server_error_or_throttling_is_temporary(twilio: TwilioStandIn, status: int) -> None:
    twilio.fail_next.append(status)

    with pytest.raises(TemporaryFailure) as failed:
        TwilioSmsProvider().send_sms(SmsMessage(to=TO, body="x"), idempotency_key="d-5")

    assert failed.value.provider_code == ("20429" if status == 429 else "20500")
    # the retry carries the same token, so Twilio can drop a repeat
    TwilioSmsProvider().send_sms(SmsMessage(to=TO, body="x"), idempotency_key="d-5")
    assert [r.headers[IDEMPOTENCY_HEADER] for r in twilio.messages] == ["d-5", "d-5"]


def test_wrong_credentials_are_permanent(twilio: TwilioStandIn, settings: Any) -> None:
    settings.TWILIO_AUTH_TOKEN = "not-the-token"

    with pytest.raises(PermanentFailure) as refused:
        TwilioSmsProvider().send_sms(SmsMessage(to=TO, body="x"), idempotency_key="d-6")

    assert refused.value.provider_code == "20003"


def test_no_connection_is_temporary(twilio: TwilioStandIn, settings: Any) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings.TWILIO_API_BASE = f"http://127.0.0.1:{port}"  # nobody listens there

    with pytest.raises(TemporaryFailure) as failed:
        TwilioSmsProvider().send_sms(SmsMessage(to=TO, body="x"), idempotency_key="d-7")

    assert failed.value.reason == "ConnectionError"
    assert twilio.messages == []
