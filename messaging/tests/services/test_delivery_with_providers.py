"""The outbox's delivery service driving the real providers against the stand-ins, end to end."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient
from twilio.request_validator import RequestValidator

from accounts.models import User
from messaging.models import Delivery, Device, Notification
from messaging.providers.sms import IDEMPOTENCY_HEADER
from messaging.services.delivery import delivery_send
from messaging.tests.providers_helpers import STATUS_CALLBACK_URL
from messaging.tests.stand_ins import AUTH_TOKEN, GoogleStandIn, TwilioStandIn


def _delivery(user: User, channel: str, address: str, payload: dict[str, Any]) -> Delivery:
    notification = Notification.objects.create(user=user, kind="booking.requested", category="booking", title="New")
    return Delivery.objects.create(
        notification=notification,
        kind="booking.requested",
        channel=channel,
        address=address,
        payload=payload,
        delivery_key=f"{notification.pk}:{channel}",
    )


@pytest.mark.django_db
def test_an_sms_goes_out_once_and_twilios_report_completes_it(
    twilio: TwilioStandIn, parent: User, api: APIClient
) -> None:
    delivery = _delivery(parent, "sms", "+14155550100", {"body": "Ana asks for Saturday"})

    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.SENT
    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.SENT  # a repeated task sends nothing

    [sms] = twilio.messages
    assert sms.headers[IDEMPOTENCY_HEADER] == delivery.delivery_key
    assert sms.form()["StatusCallback"] == [STATUS_CALLBACK_URL]
    delivery.refresh_from_db()
    assert delivery.provider == "twilio" and delivery.provider_id.startswith("SM")
    # Twilio reports delivery
    params = {"MessageSid": delivery.provider_id, "MessageStatus": "delivered", "AccountSid": "AC"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(STATUS_CALLBACK_URL, params)
    response = api.post(
        "/api/v1/messaging/twilio/status",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )
    assert response.status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


@pytest.mark.django_db
def test_a_push_to_a_token_fcm_no_longer_knows_fails_and_removes_the_device(fcm: GoogleStandIn, parent: User) -> None:
    gone = "unregistered-" + "f" * 60
    Device.objects.create(user=parent, token=gone, platform="android")
    kept = Device.objects.create(user=parent, token="kept-" + "g" * 60, platform="ios")
    delivery = _delivery(parent, "push", gone, {"title": "New", "body": "Ana asks", "image_url": ""})

    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.FAILED

    assert len(fcm.sends) == 1
    assert list(Device.objects.values_list("pk", flat=True)) == [kept.pk]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
