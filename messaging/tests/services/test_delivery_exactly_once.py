"""Exactly once where the provider can be asked: an attempt whose outcome nobody recorded is looked up first.

Against the loopback Twilio (messaging/tests/stand_ins.py): what a worker that
died after Twilio took the message leaves behind is reproduced as it is left
(the row ``sending`` under an old claim, Twilio holding the message), then the
re-drive and the next attempt run for real.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import User
from messaging.models import Delivery, Notification
from messaging.providers.base import SmsMessage
from messaging.providers.email import message_id
from messaging.providers.sms import TwilioSmsProvider
from messaging.services.delivery import LANE_CRITICAL, delivery_redrive, delivery_send, lost_after
from messaging.tests.stand_ins import TwilioStandIn

pytestmark = pytest.mark.django_db

TO = "+14155550100"
SOS = "Emma raised an SOS: https://app.guardiannest.example/emergencies/1"


def _sms(user: User, body: str = SOS, *, kind: str = "emergency.raised", to: str = TO) -> Delivery:
    notification = Notification.objects.create(user=user, kind=kind, category="emergency", title="SOS")
    return Delivery.objects.create(
        notification=notification,
        kind=kind,
        channel="sms",
        address=to,
        payload={"body": body},
        delivery_key=f"{notification.pk.hex}.sms.0",
    )


def _died_mid_send(delivery: Delivery, *, seconds_ago: float, reached_twilio: bool) -> str:
    """What a worker killed mid-send leaves: its claim, and Twilio holding the message when it got that far."""
    claimed = timezone.now() - timedelta(seconds=seconds_ago)
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", claimed_at=claimed, maybe_sent_since=claimed, attempts=1
    )
    if not reached_twilio:
        return ""
    message = SmsMessage(to=delivery.address, body=delivery.payload["body"])
    return TwilioSmsProvider().send_sms(message, idempotency_key=delivery.delivery_key).provider_id


def test_an_sms_twilio_took_before_its_worker_died_is_recorded_not_sent_again(
    twilio: TwilioStandIn, parent: User, settings: Any
) -> None:
    # given a critical row whose worker was killed after Twilio took the message, 31 s ago
    delivery = _sms(parent)
    sid = _died_mid_send(delivery, seconds_ago=settings.MESSAGING_CRITICAL_SEND_LEASE_SECONDS + 1, reached_twilio=True)

    # when the critical lane's re-drive runs (its lease is past) and the row's task runs
    assert delivery_redrive(lane_name=LANE_CRITICAL) == 1
    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.SENT

    # then Twilio was asked, and sent nothing more: one message, the one the dead worker handed over
    assert len(twilio.messages) == 1
    assert len(twilio.lookups) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider, delivery.provider_id) == ("sent", "twilio", sid)
    assert (delivery.attempts, delivery.maybe_sent_since) == (2, None)


def test_an_sms_whose_worker_died_before_twilio_is_sent_once(twilio: TwilioStandIn, parent: User) -> None:
    delivery = _sms(parent)
    _died_mid_send(delivery, seconds_ago=60, reached_twilio=False)

    assert delivery_redrive(lane_name=LANE_CRITICAL) == 1
    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.SENT

    assert len(twilio.lookups) == 1
    [sent] = twilio.messages
    assert sent.form()["Body"] == [SOS]
    delivery.refresh_from_db()
    assert delivery.provider_id == twilio.store[0]["sid"]


def test_an_answer_lost_on_the_way_back_is_looked_up_not_resent(twilio: TwilioStandIn, parent: User) -> None:
    # given Twilio takes the message and the connection drops before its answer
    twilio.lose_next = 1
    delivery = _sms(parent)

    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.QUEUED
    delivery.refresh_from_db()
    assert delivery.maybe_sent_since is not None
    assert delivery.last_error == "temporary: ConnectionError"

    # when the retry is due
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.SENT

    # then it found the message instead of sending a second
    assert len(twilio.messages) == 1
    delivery.refresh_from_db()
    assert delivery.provider_id == twilio.store[0]["sid"]


def test_a_look_up_twilio_cannot_answer_sends_nothing_and_is_tried_again(twilio: TwilioStandIn, parent: User) -> None:
    delivery = _sms(parent)
    _died_mid_send(delivery, seconds_ago=60, reached_twilio=True)
    delivery_redrive(lane_name=LANE_CRITICAL)
    twilio.fail_next.append(503)  # the list answers 503

    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.QUEUED

    delivery.refresh_from_db()
    assert delivery.last_error.startswith("temporary: look-up:")
    assert delivery.maybe_sent_since is not None  # still unknown: the next attempt asks again
    assert len(twilio.messages) == 1
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.SENT
    assert len(twilio.messages) == 1


def test_a_message_another_row_recorded_is_not_taken_for_ours(twilio: TwilioStandIn, parent: User) -> None:
    # given the same text to the same number twice (two steps of a ladder), the first sent and recorded
    first, second = _sms(parent), _sms(parent)
    assert delivery_send(delivery_id=first.pk) == Delivery.Status.SENT
    # and the second's worker died before reaching Twilio
    _died_mid_send(second, seconds_ago=60, reached_twilio=False)
    delivery_redrive(lane_name=LANE_CRITICAL)

    assert delivery_send(delivery_id=second.pk) == Delivery.Status.SENT

    # then the look-up saw the first's message, knew it was the first's, and the second was sent
    assert len(twilio.messages) == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert {first.provider_id, second.provider_id} == {m["sid"] for m in twilio.store}


def test_a_message_twilio_failed_is_recorded_failed(twilio: TwilioStandIn, parent: User) -> None:
    delivery = _sms(parent)
    _died_mid_send(delivery, seconds_ago=60, reached_twilio=True)
    twilio.store[0].update(status="undelivered", error_code=30003)
    delivery_redrive(lane_name=LANE_CRITICAL)

    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.FAILED

    delivery.refresh_from_db()
    assert delivery.last_error == "provider: Twilio undelivered (30003)"
    assert len(twilio.messages) == 1


def test_a_first_attempt_asks_nothing(twilio: TwilioStandIn, parent: User) -> None:
    delivery = _sms(parent)

    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.SENT

    assert (len(twilio.messages), len(twilio.lookups)) == (1, 0)
    delivery.refresh_from_db()
    assert delivery.maybe_sent_since is None


def test_a_refusal_that_sent_nothing_asks_nothing_on_the_retry(twilio: TwilioStandIn, parent: User) -> None:
    twilio.fail_next.append(429)
    delivery = _sms(parent)

    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.QUEUED
    delivery.refresh_from_db()
    assert delivery.maybe_sent_since is None
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.SENT

    assert (len(twilio.messages), len(twilio.lookups)) == (2, 0)


# --- the lease: how soon a row a dead worker held is picked up --------------------------------


def test_the_critical_lease_is_short_and_the_default_one_outlasts_the_task_time_limit(
    twilio: TwilioStandIn, parent: User, settings: Any
) -> None:
    settings.MESSAGING_CRITICAL_SEND_LEASE_SECONDS = 20
    emergency, booking = _sms(parent), _sms(parent, "Your booking", kind="booking.reminder")
    for row in (emergency, booking):
        _died_mid_send(row, seconds_ago=25, reached_twilio=False)

    # the critical lane's job takes the emergency row only; the every-minute job leaves the other too
    assert delivery_redrive(lane_name=LANE_CRITICAL) == 1
    assert delivery_redrive() == 0
    assert Delivery.objects.get(pk=booking.pk).status == "sending"
    assert lost_after().total_seconds() > settings.CELERY_TASK_TIME_LIMIT
    assert lost_after(LANE_CRITICAL) == timedelta(seconds=20)


def test_a_row_within_its_lease_is_left_to_its_worker(twilio: TwilioStandIn, parent: User) -> None:
    delivery = _sms(parent)
    _died_mid_send(delivery, seconds_ago=5, reached_twilio=False)

    assert delivery_redrive(lane_name=LANE_CRITICAL) == 0
    assert Delivery.objects.get(pk=delivery.pk).status == "sending"


@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_row_was_taken_over_during_the_look_up_does_not_send(
    twilio: TwilioStandIn, parent: User
) -> None:
    # given an unsure row, and a re-drive that hands it to another worker while Twilio is being asked
    delivery = _sms(parent)
    _died_mid_send(delivery, seconds_ago=60, reached_twilio=False)
    delivery_redrive(lane_name=LANE_CRITICAL)

    def taken_over() -> None:  # in the stand-in's thread, on its own connection: another worker's claim
        Delivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() + timedelta(seconds=1))
        connection.close()

    twilio.on_lookup = taken_over

    # when this worker's look-up finds nothing
    assert delivery_send(delivery_id=delivery.pk) == "not_ours"

    # then it leaves the sending to the worker that holds the row now
    assert len(twilio.lookups) == 1
    assert twilio.messages == []


# --- email: one Message-ID per delivery -------------------------------------------------------


def test_every_attempt_of_an_email_carries_the_same_message_id(parent: User, settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = "GuardianNest <no-reply@guardiannest.example>"
    notification = Notification.objects.create(user=parent, kind="emergency.raised", category="emergency", title="x")
    delivery = Delivery.objects.create(
        notification=notification,
        kind="emergency.raised",
        channel="email",
        address=parent.email,
        payload={"subject": "SOS", "text": "Help"},
        delivery_key=f"{notification.pk.hex}.email.0",
    )
    _died_mid_send(delivery, seconds_ago=60, reached_twilio=False)
    delivery_redrive(lane_name=LANE_CRITICAL)

    assert delivery_send(delivery_id=delivery.pk) == Delivery.Status.SENT

    expected = f"<{notification.pk.hex}.email.0@guardiannest.example>"
    assert message_id(delivery.delivery_key) == expected
    assert mail.outbox[0].message()["Message-ID"] == expected
    delivery.refresh_from_db()
    assert delivery.provider_id == expected
