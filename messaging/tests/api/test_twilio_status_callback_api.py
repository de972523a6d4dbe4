"""POST messaging/twilio/status: Twilio's delivery reports, signed as Twilio signs them.

Requests are signed with ``twilio.request_validator.RequestValidator`` over the
public URL our settings name, as Twilio does; the test client reaches the view
at ``testserver``, as a proxy would hand it on.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient
from twilio.request_validator import RequestValidator

from accounts.models import User
from accounts.tests.problems import assert_problem
from messaging.models import Delivery, Notification
from messaging.tests.providers_helpers import STATUS_CALLBACK_URL
from messaging.tests.stand_ins import ACCOUNT_SID, AUTH_TOKEN, TwilioStandIn

CALLBACK = "/api/v1/messaging/twilio/status"
SID = "SM" + "ab" * 16
FORM = "application/x-www-form-urlencoded"


def _report(status: str, *, sid: str = SID, error_code: str = "") -> dict[str, str]:
    report = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": "+15005550006",
        "To": "+14155550100",
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
    }
    if error_code:
        report["ErrorCode"] = error_code
    return report


def _post(
    api: APIClient, params: dict[str, str], *, signature: str | None = None, url: str = STATUS_CALLBACK_URL
) -> Any:
    if signature is None:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    return api.post(CALLBACK, data=urlencode(params), content_type=FORM, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.fixture
def delivery(parent: User) -> Delivery:
    """An SMS the outbox handed to Twilio, waiting for Twilio's word on it."""
    notification = Notification.objects.create(user=parent, kind="booking.reminder", category="booking", title="Soon")
    return Delivery.objects.create(
        notification=notification,
        kind="booking.reminder",
        channel="sms",
        address="+14155550100",
        status=Delivery.Status.SENT,
        provider="twilio",
        provider_id=SID,
        delivery_key=f"{notification.pk}:sms",
    )


@pytest.mark.django_db
def test_a_signed_delivered_report_marks_the_delivery_delivered(
    twilio: TwilioStandIn, api: APIClient, delivery: Delivery
) -> None:
    response = _post(api, _report("delivered"))

    assert response.status_code == 204, response.content
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


@pytest.mark.django_db
def test_a_signed_undelivered_report_fails_the_delivery_with_twilios_code(
    twilio: TwilioStandIn, api: APIClient, delivery: Delivery
) -> None:
    response = _post(api, _report("undelivered", error_code="30003"))

    assert response.status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert "30003" in delivery.last_error


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["queued", "sending", "sent"])
def test_reports_that_are_not_final_change_nothing(
    twilio: TwilioStandIn, api: APIClient, delivery: Delivery, status: str
) -> None:
    assert _post(api, _report(status)).status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


@pytest.mark.django_db
def test_a_late_report_does_not_undo_a_final_one(twilio: TwilioStandIn, api: APIClient, delivery: Delivery) -> None:
    _post(api, _report("delivered"))

    assert _post(api, _report("failed", error_code="30008")).status_code == 204

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED


@pytest.mark.django_db
def test_a_report_for_a_message_we_do_not_know_is_acknowledged(twilio: TwilioStandIn, api: APIClient) -> None:
    assert _post(api, _report("delivered", sid="SM" + "cd" * 16)).status_code == 204


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "signature"),
    [
        ("missing", ""),
        ("garbage", "bm90IGEgc2lnbmF0dXJl"),
        (
            "other token",
            RequestValidator("someone-elses-token").compute_signature(STATUS_CALLBACK_URL, _report("delivered")),
        ),
        (
            "other url",
            RequestValidator(AUTH_TOKEN).compute_signature("https://evil.example/status", _report("delivered")),
        ),
    ],
)
def test_a_bad_signature_answers_403_and_changes_nothing(
    twilio: TwilioStandIn, api: APIClient, delivery: Delivery, case: str, signature: str
) -> None:
    assert_problem(_post(api, _report("delivered"), signature=signature), 403, "permission_denied")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


@pytest.mark.django_db
def test_a_signature_over_other_parameters_answers_403(
    twilio: TwilioStandIn, api: APIClient, delivery: Delivery
) -> None:
    signed_for = _report("undelivered")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(STATUS_CALLBACK_URL, signed_for)

    assert_problem(_post(api, _report("delivered"), signature=signature), 403, "permission_denied")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


@pytest.mark.django_db
def test_without_a_configured_public_url_every_report_is_refused(
    twilio: TwilioStandIn, settings: Any, api: APIClient, delivery: Delivery
) -> None:
    params = _report("delivered")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(STATUS_CALLBACK_URL, params)
    settings.TWILIO_STATUS_CALLBACK_URL = ""

    assert_problem(_post(api, params, signature=signature), 403, "permission_denied")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


@pytest.mark.django_db
def test_a_json_body_is_refused(twilio: TwilioStandIn, api: APIClient) -> None:
    response = api.post(CALLBACK, _report("delivered"), format="json", HTTP_X_TWILIO_SIGNATURE="x")

    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.django_db
def test_a_signed_report_without_the_fields_is_invalid(twilio: TwilioStandIn, api: APIClient) -> None:
    assert_problem(_post(api, {"AccountSid": ACCOUNT_SID}), 400, "invalid")
