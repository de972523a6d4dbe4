"""Delivering outbox rows: through the embedded twins and a real SMTP server; retries, failures, the claim."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from conftest import race
from messaging.models import Delivery
from messaging.services import delivery as delivery_service
from messaging.services.delivery import LANE_CRITICAL, LANE_DEFAULT, backoff_seconds, delivery_send, lane
from messaging.services.notifications import notify
from messaging.services.preferences import preferences_update
from messaging.tasks import deliver
from messaging.tests.factories import DeliveryFactory
from messaging.tests.notifications_helpers import ScriptedSmtpHandler, outbox_files, verify_phone

pytestmark = pytest.mark.django_db

BOOKING = {"booking_id": "b-1", "other_name": "Sam Sitter", "starts_at": "Friday 18:00"}


def _email_delivery(user: User, kind: str = "booking.accepted", context: dict[str, Any] | None = None) -> Delivery:
    notification = notify(user=user, kind=kind, context=context or BOOKING)
    return notification.deliveries.get(channel="email")


def _make_due(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


# --- success through the embedded providers -------------------------------------------------


def test_an_email_is_sent_and_its_outcome_recorded(parent: User) -> None:
    delivery = _email_delivery(parent)

    assert deliver.apply(args=[str(delivery.pk)]).get() == "sent"

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [parent.email]
    assert message.subject == "Sam Sitter accepted your booking"
    assert "Sam Sitter" in message.body
    assert message.alternatives[0][1] == "text/html" and "Sam Sitter" in message.alternatives[0][0]
    assert message.extra_headers["X-GuardianNest-Delivery"] == delivery.delivery_key
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.provider, delivery.last_error) == ("sent", 1, "django", "")
    assert delivery.sent_at is not None


def test_an_sms_lands_in_the_outbox(parent: User, outbox_dir: Path) -> None:
    verify_phone(parent, "+14155550100")
    notification = notify(user=parent, kind="booking.reminder", context=BOOKING)
    sms = notification.deliveries.get(channel="sms")

    assert deliver.apply(args=[str(sms.pk)]).get() == "sent"

    [written] = outbox_files(outbox_dir, "sms")
    assert written["to"] == "+14155550100"
    assert "Sam Sitter" in written["body"]
    sms.refresh_from_db()
    assert (sms.status, sms.provider) == ("sent", "outbox")
    assert sms.provider_id == sms.delivery_key  # the twin's id is its file name


def test_a_push_lands_in_the_outbox(parent: User, outbox_dir: Path) -> None:
    from messaging.models import Device

    token = "device-token-" + "d" * 40
    Device.objects.create(user=parent, token=token, platform="ios")
    push = notify(user=parent, kind="booking.requested", context=BOOKING).deliveries.get(channel="push")

    assert deliver.apply(args=[str(push.pk)]).get() == "sent"

    [written] = outbox_files(outbox_dir, "push")
    assert written["title"] == "New booking request from Sam Sitter"
    assert [a["id"] for a in written["actions"]] == ["accept", "decline"]
    assert written["data"]["booking_id"] == "b-1" and written["platform"] == "ios"
    assert token not in str(written)  # a device token is a credential: the twin keeps its start only
    push.refresh_from_db()
    assert (push.status, push.provider) == ("sent", "outbox")


def test_a_delivery_built_by_hand_is_sent_too(outbox_dir: Path) -> None:
    delivery = DeliveryFactory()

    assert deliver.apply(args=[str(delivery.pk)]).get() == "sent"

    [written] = outbox_files(outbox_dir, "push")
    assert written["title"] == "Booking accepted"


# --- the claim: running twice sends once ----------------------------------------------------


def test_a_delivery_task_run_twice_sends_once(parent: User) -> None:
    delivery = _email_delivery(parent)

    first = deliver.apply(args=[str(delivery.pk)]).get()
    second = deliver.apply(args=[str(delivery.pk)]).get()

    assert (first, second) == ("sent", "sent")
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_once(parent: User, smtp_server: ScriptedSmtpHandler) -> None:
    delivery = _email_delivery(parent)

    results = race(8, lambda: delivery_send(delivery_id=delivery.pk))

    # the losers of the claim report the row's status as they found it, and send nothing
    assert set(map(str, results)) <= {"sent", "sending"} and "sent" in results
    assert smtp_server.attempts == 1 and len(smtp_server.accepted) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_a_row_that_is_not_due_or_gone_is_left_alone(parent: User) -> None:
    delivery = _email_delivery(parent)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert deliver.apply(args=[str(delivery.pk)]).get() == "not_due"
    assert deliver.apply(args=["00000000-0000-0000-0000-000000000000"]).get() == "gone"
    assert mail.outbox == []


def test_a_skipped_delivery_is_never_sent(parent: User) -> None:
    preferences_update(user=parent, changes={"booking": {"email": False}})
    push = notify(user=parent, kind="booking.accepted", context=BOOKING).deliveries.get(channel="push")

    assert deliver.apply(args=[str(push.pk)]).get() == "skipped"


# --- failures, through a real SMTP server on loopback ------------------------------------------


def test_a_temporary_failure_is_retried_with_backoff_then_succeeds(
    parent: User, smtp_server: ScriptedSmtpHandler, django_capture_on_commit_callbacks: Any
) -> None:
    smtp_server.replies = ["451 4.3.0 Mailbox busy, try later", "451 4.3.0 Still busy"]
    delivery = _email_delivery(parent)

    # first attempt: 451 → back to queued, 30 s (+ jitter) later, retry enqueued with that countdown
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        before = timezone.now()
        assert delivery_send(delivery_id=delivery.pk) == "queued"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_at) == ("queued", 1, None)
    assert delivery.last_error == "temporary: SMTP 451"
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 30 <= wait <= 34
    assert len(callbacks) == 1
    # not yet due: a duplicate message arriving early sends nothing
    assert delivery_send(delivery_id=delivery.pk) == "not_due"

    # second attempt: 451 again → 2 minutes
    _make_due(delivery)
    before = timezone.now()
    assert delivery_send(delivery_id=delivery.pk) == "queued"
    delivery.refresh_from_db()
    assert 120 <= (delivery.next_attempt_at - before).total_seconds() <= 133

    # third attempt: accepted
    _make_due(delivery)
    assert delivery_send(delivery_id=delivery.pk) == "sent"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.provider, delivery.last_error) == ("sent", 3, "smtp", "")
    assert smtp_server.attempts == 3 and len(smtp_server.accepted) == 1
    assert smtp_server.accepted[0].rcpt_tos == [parent.email]
    assert b"List-Unsubscribe" in smtp_server.accepted[0].original_content


def test_a_permanent_failure_is_never_retried(
    parent: User, smtp_server: ScriptedSmtpHandler, django_capture_on_commit_callbacks: Any
) -> None:
    smtp_server.replies = ["550 5.1.1 No such user"]
    delivery = _email_delivery(parent)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert delivery_send(delivery_id=delivery.pk) == "failed"

    assert callbacks == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == "permanent: SMTP 550"
    # a redelivered task changes nothing and never reaches the server again
    _make_due(delivery)
    assert delivery_send(delivery_id=delivery.pk) == "failed"
    assert smtp_server.attempts == 1


def test_an_unreachable_server_is_a_temporary_failure(parent: User, settings: Any) -> None:
    from messaging.tests.notifications_helpers import _free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    delivery = _email_delivery(parent)

    assert delivery_send(delivery_id=delivery.pk) == "queued"

    delivery.refresh_from_db()
    assert delivery.last_error.startswith("temporary: ")


def test_the_last_attempt_gives_up(parent: User, smtp_server: ScriptedSmtpHandler, settings: Any) -> None:
    smtp_server.replies = ["451 4.3.0 busy"]
    delivery = _email_delivery(parent)
    Delivery.objects.filter(pk=delivery.pk).update(attempts=settings.MESSAGING_MAX_ATTEMPTS - 1)

    assert delivery_send(delivery_id=delivery.pk) == "failed"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", settings.MESSAGING_MAX_ATTEMPTS)
    assert delivery.last_error == "gave up: temporary: SMTP 451"


def test_a_long_wait_is_left_to_the_redrive_job(
    parent: User, smtp_server: ScriptedSmtpHandler, django_capture_on_commit_callbacks: Any
) -> None:
    smtp_server.replies = ["451 4.3.0 busy"]
    delivery = _email_delivery(parent)
    Delivery.objects.filter(pk=delivery.pk).update(attempts=4)  # the 5th failure waits an hour

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert delivery_send(delivery_id=delivery.pk) == "queued"

    assert callbacks == []  # no broker ETA near the visibility timeout
    delivery.refresh_from_db()
    assert delivery.next_attempt_at > timezone.now() + timedelta(minutes=59)


def test_backoff_grows_and_is_capped() -> None:
    rules = lane(LANE_DEFAULT)
    waits = [backoff_seconds(attempt, backoff=rules.backoff) for attempt in range(1, rules.max_attempts + 1)]

    for wait, base in zip(waits, [*rules.backoff, *[rules.backoff[-1]] * rules.max_attempts], strict=False):
        assert base <= wait <= base * 1.1
    assert max(waits) <= 3600 * 1.1


def test_the_lanes_are_settings_and_the_critical_one_waits_less_and_tries_longer(settings: Any) -> None:
    default, critical = lane(LANE_DEFAULT), lane(LANE_CRITICAL)
    assert default.backoff == (30, 120, 600, 3600)
    assert max(critical.backoff) < min(default.backoff[1:])  # an SOS never waits minutes between tries
    assert critical.max_attempts > default.max_attempts
    assert critical.lease < default.lease and critical.grace < default.grace

    settings.MESSAGING_CRITICAL_RETRY_BACKOFF_SECONDS = (1, 3)
    settings.MESSAGING_CRITICAL_MAX_ATTEMPTS = 4
    assert (lane(LANE_CRITICAL).backoff, lane(LANE_CRITICAL).max_attempts) == ((1, 3), 4)
    assert [backoff_seconds(n, backoff=(1, 3)) for n in (1, 2, 5)] == [1, 3, 3]


def test_a_temporary_failure_of_an_emergency_waits_the_critical_backoff(
    parent: User, smtp_server: ScriptedSmtpHandler, settings: Any
) -> None:
    settings.MESSAGING_CRITICAL_RETRY_BACKOFF_SECONDS = (7,)
    smtp_server.replies = ["451 4.3.0 busy"]
    delivery = DeliveryFactory(
        kind="emergency.raised", channel="email", address=parent.email, payload={"subject": "SOS", "text": "Help"}
    )

    before = timezone.now()
    assert delivery_send(delivery_id=delivery.pk) == "queued"

    delivery.refresh_from_db()
    assert timedelta(seconds=7) <= delivery.next_attempt_at - before <= timedelta(seconds=8)


def test_a_late_worker_cannot_overwrite_a_newer_claim(parent: User) -> None:
    delivery = _email_delivery(parent)
    old_claim = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk=delivery.pk).update(status="sending", claimed_at=timezone.now())

    assert not delivery_service._record(delivery.pk, old_claim, status="failed")

    delivery.refresh_from_db()
    assert delivery.status == "sending"
