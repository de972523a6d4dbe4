"""TwilioSmsProvider against a loopback Twilio: what it sends, and how it sorts Twilio's answers."""

from __future__ import annotations

import base64
import socket
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from twilio.rest import Client

from messaging.providers.base import PermanentFailure, SmsMessage, TemporaryFailure
from messaging.providers.registry import sms_provider
from messaging.providers.sms import (
    IDEMPOTENCY_HEADER,
    LOOKUP_CLOCK_SKEW,
    GuardianNestTwilioHttpClient,
    TwilioSmsProvider,
)
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


# --- the look-up: did Twilio already take this message? ----------------------------------------


def test_a_lost_answer_is_a_temporary_failure_that_may_have_been_sent(twilio: TwilioStandIn) -> None:
    twilio.lose_next = 1

    with pytest.raises(TemporaryFailure) as failed:
        TwilioSmsProvider().send_sms(SmsMessage(to=TO, body="x"), idempotency_key="d-8")

    assert failed.value.maybe_sent
    assert len(twilio.store) == 1  # Twilio has it all the same


@pytest.mark.parametrize(("status", "maybe_sent"), [(500, True), (503, True), (429, False)])
def test_a_5xx_may_have_created_the_message_a_429_did_not(twilio: TwilioStandIn, status: int, maybe_sent: bool) -> None:
    twilio.fail_next.append(status)

    with pytest.raises(TemporaryFailure) as failed:
        TwilioSmsProvider().send_sms(SmsMessage(to=TO, body="x"), idempotency_key="d-9")

    assert failed.value.maybe_sent is maybe_sent


def test_the_look_up_finds_a_message_twilio_took_though_it_is_not_sent_yet(twilio: TwilioStandIn) -> None:
    provider = TwilioSmsProvider()
    since = timezone.now()
    sent = provider.send_sms(SmsMessage(to=TO, body="Emma needs help now"), idempotency_key="d-10")

    found = provider.find_sms(SmsMessage(to=TO, body="Emma needs help now"), idempotency_key="d-10", since=since)

    assert [(r.provider, r.provider_id, r.status) for r in found] == [("twilio", sent.provider_id, "queued")]
    assert twilio.store[0]["date_sent"] is None  # queued: a DateSent filter would have missed it
    # Twilio was asked for our number's messages to that number, as the SDK's messages.list asks
    [lookup] = twilio.lookups
    query = parse_qs(urlsplit(lookup.path).query)
    assert (query["To"], query["From"], query["PageSize"]) == ([TO], [FROM_NUMBER], ["100"])


def test_the_look_up_keeps_only_our_text_to_our_number_since_the_attempt(twilio: TwilioStandIn) -> None:
    provider = TwilioSmsProvider()
    provider.send_sms(SmsMessage(to=TO, body="Emma needs help now"), idempotency_key="d-11")
    provider.send_sms(SmsMessage(to="+14155550199", body="Emma needs help now"), idempotency_key="d-12")
    provider.send_sms(SmsMessage(to=TO, body="Another text"), idempotency_key="d-13")
    message = SmsMessage(to=TO, body="Emma needs help now")

    assert provider.find_sms(message, idempotency_key="d-14", since=timezone.now() - timedelta(seconds=5))
    # an attempt that began after the message was taken cannot have sent it
    later = timezone.now() + LOOKUP_CLOCK_SKEW + timedelta(seconds=2)
    assert provider.find_sms(message, idempotency_key="d-14", since=later) == []
    assert provider.find_sms(SmsMessage(to=TO, body="Nothing like it"), idempotency_key="d-15", since=later) == []


def test_the_look_up_leaves_out_canceled_messages_and_reports_final_statuses(twilio: TwilioStandIn) -> None:
    provider = TwilioSmsProvider()
    since = timezone.now()
    for key in ("a", "b", "c"):
        provider.send_sms(SmsMessage(to=TO, body="same"), idempotency_key=key)
    twilio.store[0].update(status="canceled")
    twilio.store[1].update(status="undelivered", error_code=30003)
    twilio.store[2].update(status="delivered")

    found = provider.find_sms(SmsMessage(to=TO, body="same"), idempotency_key="a", since=since)

    assert [(r.provider_id, r.status, r.error) for r in found] == [
        (twilio.store[1]["sid"], "failed", "Twilio undelivered (30003)"),
        (twilio.store[2]["sid"], "delivered", ""),
    ]


def test_a_look_up_twilio_cannot_answer_is_temporary(twilio: TwilioStandIn) -> None:
    twilio.fail_next.append(500)

    with pytest.raises(TemporaryFailure) as failed:
        TwilioSmsProvider().find_sms(SmsMessage(to=TO, body="x"), idempotency_key="d-16", since=timezone.now())

    assert failed.value.maybe_sent and failed.value.reason.startswith("look-up:")


def test_the_stand_in_lists_like_twilio_newest_first_in_pages_and_by_date_sent(twilio: TwilioStandIn) -> None:
    provider = TwilioSmsProvider()
    for n in range(7):
        provider.send_sms(SmsMessage(to=TO, body=f"text {n}"), idempotency_key=f"page-{n}")
    twilio.store[0]["date_sent"] = "Mon, 06 Jan 2025 10:00:00 +0000"
    twilio.store[1]["date_sent"] = "Wed, 08 Jan 2025 10:00:00 +0000"
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=GuardianNestTwilioHttpClient(api_base=twilio.base_url))

    listed = client.messages.list(to=TO, from_=FROM_NUMBER, page_size=3)
    after = client.messages.list(date_sent_after=datetime(2025, 1, 7, tzinfo=UTC))
    on_day = client.messages.list(date_sent=date(2025, 1, 6))

    assert [m.body for m in listed] == [f"text {n}" for n in reversed(range(7))]
    assert len([r for r in twilio.lookups if "Page=" in r.path]) == 2  # three pages, followed by next_page_uri
    assert [m.body for m in after] == ["text 1"]
    assert [m.body for m in on_day] == ["text 0"]
