"""FcmPushProvider against loopback FCM HTTP v1 and OAuth endpoints: the message on the wire, and FCM's errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from messaging.providers.base import AddressGone, PermanentFailure, PushAction, PushMessage, TemporaryFailure
from messaging.providers.push import ANDROID_CLICK_ACTION, FcmPushProvider
from messaging.providers.registry import push_provider
from messaging.tests.stand_ins import ACCESS_TOKEN, FCM_PROJECT, GoogleStandIn

TOKEN = "fcm-token-" + "a" * 140
IMAGE = "https://cdn.guardiannest.example/sitters/ana.jpg"
ACTIONS = (PushAction(id="accept", title="Accept"), PushAction(id="decline", title="Decline"))


def _rich(token: str = TOKEN, **overrides: Any) -> PushMessage:
    fields: dict[str, Any] = {
        "token": token,
        "title": "New booking request",
        "body": "Ana asks for Saturday 18:00",
        "data": {"booking_id": "6b1f2a4e-0000-4000-8000-000000000001", "kind": "booking.requested"},
        "image_url": IMAGE,
        "actions": ACTIONS,
        "platform": "ios",
    }
    return PushMessage(**{**fields, **overrides})


def test_the_registry_picks_fcm_once_it_is_configured(fcm: GoogleStandIn) -> None:
    assert isinstance(push_provider(), FcmPushProvider)


def test_a_rich_push_carries_the_image_and_buttons_on_every_platform(fcm: GoogleStandIn) -> None:
    # when
    result = FcmPushProvider().send_push(_rich(), idempotency_key="delivery-1")

    # then FCM got one message, with the service account's access token
    [request] = fcm.sends
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    message = request.json()["message"]
    assert message["token"] == TOKEN
    assert message["notification"] == {
        "title": "New booking request",
        "body": "Ana asks for Saturday 18:00",
        "image": IMAGE,
    }
    # the app's own data, the delivery key, and the buttons for the Android app to draw
    assert message["data"]["booking_id"] == "6b1f2a4e-0000-4000-8000-000000000001"
    assert message["data"]["delivery_key"] == "delivery-1"
    assert json.loads(message["data"]["actions"]) == [
        {"id": "accept", "title": "Accept"},
        {"id": "decline", "title": "Decline"},
    ]
    # Android: the image and the intent the tap opens
    android = message["android"]
    assert android["notification"]["image"] == IMAGE
    assert android["notification"]["click_action"] == ANDROID_CLICK_ACTION
    # APNs: the image through FCM, mutable content for the extension that fetches it, the buttons' category
    apns = message["apns"]
    assert apns["fcm_options"]["image"] == IMAGE
    assert apns["payload"]["aps"]["mutable-content"] == 1
    assert apns["payload"]["aps"]["category"] == "accept_decline"
    # web push: the Notifications API's image and actions
    web = message["webpush"]["notification"]
    assert web["image"] == IMAGE
    assert web["actions"] == [{"action": "accept", "title": "Accept"}, {"action": "decline", "title": "Decline"}]
    # and the answer is FCM's message name
    assert result.provider == "fcm"
    assert result.provider_id.startswith(f"projects/{FCM_PROJECT}/messages/")


def test_a_resent_delivery_collapses_into_its_first_notification(fcm: GoogleStandIn) -> None:
    provider = FcmPushProvider()

    provider.send_push(_rich(), idempotency_key="delivery-2")
    provider.send_push(_rich(), idempotency_key="delivery-2")
    provider.send_push(_rich(), idempotency_key="delivery-3")

    first, again, other = (r.json()["message"] for r in fcm.sends)
    collapse = first["apns"]["headers"]["apns-collapse-id"]
    assert len(collapse) <= 64
    assert first["android"]["collapse_key"] == first["android"]["notification"]["tag"] == collapse
    assert first["webpush"]["notification"]["tag"] == collapse
    assert again["apns"]["headers"]["apns-collapse-id"] == collapse
    assert other["apns"]["headers"]["apns-collapse-id"] != collapse


def test_a_plain_push_asks_for_no_extension_and_no_category(fcm: GoogleStandIn) -> None:
    FcmPushProvider().send_push(_rich(image_url="", actions=()), idempotency_key="delivery-4")

    message = fcm.sends[0].json()["message"]
    assert "image" not in message["notification"]
    assert "mutable-content" not in message["apns"]["payload"]["aps"]
    assert "category" not in message["apns"]["payload"]["aps"]
    assert "actions" not in message["data"]
    assert "actions" not in message["webpush"]["notification"]


def test_the_app_may_name_the_category_and_the_click_action(fcm: GoogleStandIn) -> None:
    data = {"category": "BOOKING_REQUEST", "click_action": "OPEN_BOOKING"}

    FcmPushProvider().send_push(_rich(data=data), idempotency_key="delivery-5")

    message = fcm.sends[0].json()["message"]
    assert message["apns"]["payload"]["aps"]["category"] == "BOOKING_REQUEST"
    assert message["android"]["notification"]["click_action"] == "OPEN_BOOKING"


def test_fcm_reserved_data_keys_are_not_sent(fcm: GoogleStandIn) -> None:
    FcmPushProvider().send_push(_rich(data={"from": "x", "google.sent_time": "1", "ok": "yes"}), idempotency_key="d-6")

    data = fcm.sends[0].json()["message"]["data"]
    assert data["ok"] == "yes"
    assert "from" not in data and "google.sent_time" not in data


@pytest.mark.parametrize(
    ("token", "code"), [("unregistered-" + "b" * 40, "UNREGISTERED"), ("invalid-" + "c" * 40, "INVALID_ARGUMENT")]
)
def test_a_token_fcm_does_not_know_is_gone(fcm: GoogleStandIn, token: str, code: str) -> None:
    with pytest.raises(AddressGone) as gone:
        FcmPushProvider().send_push(_rich(token=token), idempotency_key="delivery-7")

    assert gone.value.provider_code == code
    assert len(fcm.sends) == 1


def test_an_invalid_argument_about_the_payload_is_permanent_but_keeps_the_token(fcm: GoogleStandIn) -> None:
    with pytest.raises(PermanentFailure) as refused:
        FcmPushProvider().send_push(_rich(token="badpayload-" + "d" * 40), idempotency_key="delivery-8")

    assert not isinstance(refused.value, AddressGone)
    assert refused.value.provider_code == "INVALID_ARGUMENT"


def test_a_token_of_another_sender_is_permanent(fcm: GoogleStandIn) -> None:
    with pytest.raises(PermanentFailure) as refused:
        FcmPushProvider().send_push(_rich(token="mismatch-" + "e" * 40), idempotency_key="delivery-9")

    assert not isinstance(refused.value, AddressGone)
    assert refused.value.provider_code == "SENDER_ID_MISMATCH"


def test_over_quota_is_temporary(fcm: GoogleStandIn) -> None:
    with pytest.raises(TemporaryFailure) as failed:
        FcmPushProvider().send_push(_rich(token="quota-x"), idempotency_key="delivery-10")

    assert failed.value.provider_code == "QUOTA_EXCEEDED"
    assert len(fcm.sends) == 1


@pytest.mark.slow
def test_unavailable_is_temporary_after_the_sdks_own_retries(fcm: GoogleStandIn) -> None:
    """firebase-admin retries a 503 four times with backoff (about 7 s) before it gives up."""
    with pytest.raises(TemporaryFailure) as failed:
        FcmPushProvider().send_push(_rich(token="unavailable-x"), idempotency_key="delivery-10")

    assert failed.value.provider_code == "UNAVAILABLE"
    assert len(fcm.sends) == 5


def test_credentials_google_refuses_are_permanent(fcm: GoogleStandIn, settings: Any, tmp_path: Any) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    # a service account whose key Google does not know
    account = fcm.service_account()
    account["private_key"] = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    stranger = tmp_path / "stranger.json"
    stranger.write_text(json.dumps(account))
    settings.FIREBASE_CREDENTIALS = str(stranger)

    with pytest.raises(PermanentFailure):
        FcmPushProvider().send_push(_rich(), idempotency_key="delivery-11")

    assert fcm.sends == []


def test_a_missing_credentials_file_is_temporary_until_it_is_fixed(fcm: GoogleStandIn, settings: Any) -> None:
    settings.FIREBASE_CREDENTIALS = "/nonexistent/service-account.json"

    with pytest.raises(TemporaryFailure):
        FcmPushProvider().send_push(_rich(), idempotency_key="delivery-12")

    assert fcm.sends == []


def test_a_high_priority_push_wakes_the_device_on_every_platform(fcm: GoogleStandIn) -> None:
    FcmPushProvider().send_push(_rich(priority="high"), idempotency_key="delivery-sos")
    FcmPushProvider().send_push(_rich(), idempotency_key="delivery-normal")

    urgent, normal = (r.json()["message"] for r in fcm.sends)
    assert urgent["android"]["priority"] == "high"
    assert urgent["apns"]["headers"]["apns-priority"] == "10"
    assert urgent["webpush"]["headers"] == {"Urgency": "high"}
    # an ordinary push leaves each platform its default
    assert "priority" not in normal["android"]
    assert "apns-priority" not in normal["apns"]["headers"]
    assert "headers" not in normal["webpush"]
