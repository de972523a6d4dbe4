"""notify(): rows written in the caller's transaction, channels from the kind and preferences, work after commit."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from accounts.models import User
from accounts.tests.factories import ParentFactory
from guardiannest.realtime.groups import user_group
from guardiannest.realtime.testing import GroupListener
from messaging.kinds import all_kinds, get_kind
from messaging.models import Delivery, Notification, NotificationPreference
from messaging.services.notifications import NotifyRequest, notify, notify_bulk
from messaging.services.preferences import preferences_update
from messaging.tests.notifications_helpers import Broker, verify_phone

pytestmark = pytest.mark.django_db

BOOKING = {"booking_id": "b-1", "other_name": "Sam Sitter", "starts_at": "Friday 18:00"}


def _channels(notification: Notification) -> dict[str, str]:
    return {d.channel: d.status for d in notification.deliveries.all()}


def test_notify_writes_the_in_app_row_and_one_delivery_per_channel(parent: User) -> None:
    # when
    notification = notify(user=parent, kind="booking.accepted", context=BOOKING)

    # then: in-app row, rendered
    stored = Notification.objects.get(pk=notification.pk)
    assert stored.user == parent
    assert (stored.kind, stored.category) == ("booking.accepted", "booking")
    assert stored.title == "Sam Sitter accepted your booking"
    assert "Friday 18:00" in stored.body
    assert stored.data == {"booking_id": "b-1"}
    assert stored.read_at is None
    # one outbox row per channel of the kind: email queued, push skipped (no device registered)
    assert _channels(stored) == {"email": "queued", "push": "skipped"}
    email = stored.deliveries.get(channel="email")
    assert email.address == parent.email
    assert email.payload["subject"] == "Sam Sitter accepted your booking"
    assert "Sam Sitter" in email.payload["text"] and "Sam Sitter" in email.payload["html"]
    assert email.attempts == 0 and email.next_attempt_at <= email.created_at
    assert stored.deliveries.get(channel="push").last_error == "no registered device"
    assert len({d.delivery_key for d in stored.deliveries.all()}) == 2


def test_the_address_and_the_rendered_message_are_encrypted_at_rest(parent: User) -> None:
    from django.db import connection

    notification = notify(user=parent, kind="booking.accepted", context=BOOKING)

    with connection.cursor() as cursor:
        cursor.execute("SELECT address, payload FROM messaging_delivery WHERE notification_id = %s", [notification.pk])
        address, payload = cursor.fetchone()
        cursor.execute("SELECT title FROM messaging_notification WHERE id = %s", [notification.pk])
        (title,) = cursor.fetchone()
    assert parent.email not in address and "Sam Sitter" not in payload and "Sam Sitter" not in title


def test_a_channel_switched_off_gets_no_delivery(parent: User) -> None:
    preferences_update(user=parent, changes={"booking": {"email": False}})

    notification = notify(user=parent, kind="booking.accepted", context=BOOKING)

    assert _channels(notification) == {"push": "skipped"}
    assert Notification.objects.filter(pk=notification.pk).exists()  # the in-app row stays


def test_preferences_of_another_category_do_not_matter(parent: User) -> None:
    preferences_update(user=parent, changes={"payment": {"email": False}})

    assert "email" in _channels(notify(user=parent, kind="booking.accepted", context=BOOKING))


@pytest.mark.parametrize(
    ("kind", "context"),
    [
        ("sitter.verification_decided", {"decision": "verified", "check": "identity"}),
        ("emergency.raised", {"emergency_id": "e-1", "raised_by": "Sam"}),
    ],
)
def test_account_and_emergency_messages_ignore_a_stored_opt_out(parent: User, kind: str, context: Any) -> None:
    # given: an opt-out that got into the table anyway (the API refuses it)
    category = get_kind(kind).category.value
    NotificationPreference.objects.create(user=parent, overrides={category: {"email": False, "push": False}})

    notification = notify(user=parent, kind=kind, context=context)

    assert "email" in _channels(notification)
    assert _channels(notification)["email"] == "queued"


def test_marketing_goes_out_only_after_an_opt_in(parent: User) -> None:
    before = notify(user=parent, kind="marketing.newsletter", context={"headline": "Spring news"})
    preferences_update(user=parent, changes={"marketing": {"email": True}})
    after = notify(user=parent, kind="marketing.newsletter", context={"headline": "Summer news"})

    assert _channels(before) == {}
    assert _channels(after) == {"email": "queued"}


def test_marketing_is_never_sent_by_sms() -> None:
    assert all("sms" not in kind.channels for kind in all_kinds() if kind.category == "marketing")
    with pytest.raises(ValueError, match="never sent by sms"):
        from messaging.kinds import Category, Channel, Kind

        Kind("marketing.sms_blast", Category.MARKETING, frozenset({Channel.SMS}))


def test_sms_goes_only_to_a_verified_phone(parent: User) -> None:
    no_phone = notify(user=parent, kind="booking.cancelled", context=BOOKING)
    parent.phone = "+14155550100"
    parent.save()
    unverified = notify(user=parent, kind="booking.cancelled", context=BOOKING)
    verify_phone(parent, "+14155550100")
    verified = notify(user=parent, kind="booking.cancelled", context=BOOKING)
    parent.phone = "+14155550111"  # changed elsewhere, never proven
    parent.save()
    changed = notify(user=parent, kind="booking.cancelled", context=BOOKING)

    for notification, why in [(no_phone, "no phone number"), (unverified, "phone number not verified")]:
        skipped = notification.deliveries.get(channel="sms")
        assert (skipped.status, skipped.last_error, skipped.address) == ("skipped", why, "")
    sms = verified.deliveries.get(channel="sms")
    assert sms.status == "queued" and sms.address == "+14155550100"
    assert sms.payload["body"].startswith("GuardianNest: ") and "Sam Sitter" in sms.payload["body"]
    assert changed.deliveries.get(channel="sms").last_error == "phone number not verified"


def test_a_push_goes_to_each_registered_device(parent: User, other_parent: User) -> None:
    from messaging.models import Device

    Device.objects.create(user=parent, token="token-phone-" + "a" * 40, platform="ios")
    Device.objects.create(user=parent, token="token-tablet-" + "b" * 40, platform="android")
    Device.objects.create(user=other_parent, token="token-theirs-" + "c" * 40, platform="web")

    notification = notify(user=parent, kind="booking.requested", context=BOOKING)

    pushes = notification.deliveries.filter(channel="push")
    assert sorted((d.address[:12], d.payload["platform"], d.status) for d in pushes) == [
        ("token-phone-", "ios", "queued"),
        ("token-tablet", "android", "queued"),
    ]
    assert {d.payload["title"] for d in pushes} == {"New booking request from Sam Sitter"}


def test_an_inactive_account_gets_the_in_app_row_but_nothing_sent(parent: User) -> None:
    parent.is_active = False
    parent.save()

    notification = notify(user=parent, kind="booking.accepted", context=BOOKING)

    assert {d.status for d in notification.deliveries.all()} == {"skipped"}
    assert notification.deliveries.get(channel="email").last_error == "account inactive"


def test_a_missing_context_key_or_an_unknown_kind_is_refused_and_writes_nothing(parent: User) -> None:
    with pytest.raises(ValueError, match="other_name"):
        notify(user=parent, kind="booking.accepted", context={"booking_id": "b", "starts_at": "x"})
    with pytest.raises(KeyError):
        notify(user=parent, kind="booking.nonsense", context={})

    assert not Notification.objects.exists() and not Delivery.objects.exists()


def test_rows_roll_back_with_the_callers_transaction(parent: User, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        notify(user=parent, kind="booking.accepted", context=BOOKING)
        raise RuntimeError("the booking failed")

    assert not Notification.objects.exists() and not Delivery.objects.exists()
    assert callbacks == []


def test_the_deliver_task_is_enqueued_only_after_commit(
    parent: User, broker: Broker, django_capture_on_commit_callbacks: Any
) -> None:
    # when: inside the transaction nothing reaches the broker
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify(user=parent, kind="booking.accepted", context=BOOKING)
        assert broker.messages("default") == []

    # then: committing publishes one task per queued delivery (the skipped push gets none)
    assert callbacks
    for callback in callbacks:
        callback()
    email = notification.deliveries.get(channel="email")
    assert broker.messages("default") == [{"task": "messaging.deliver", "args": [str(email.pk)], "eta": None}]


def test_emergency_deliveries_go_to_the_critical_queue(
    parent: User, broker: Broker, django_capture_on_commit_callbacks: Any
) -> None:
    verify_phone(parent)
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user=parent, kind="emergency.raised", context={"emergency_id": "e", "raised_by": "Sam"})

    queued = {str(d.pk) for d in notification.deliveries.filter(status="queued")}
    critical = broker.messages("critical")
    assert {m["task"] for m in critical} == {"messaging.deliver_critical"}
    assert (
        {m["args"][0] for m in critical}
        == queued
        == {str(d.pk) for d in notification.deliveries.filter(channel__in=["email", "sms"])}
    )
    assert broker.messages("default") == []


def test_notification_created_is_broadcast_to_the_users_sockets_after_commit(
    parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    listener = GroupListener([user_group(parent.pk)])

    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user=parent, kind="booking.accepted", context=BOOKING)

    envelope = listener.next_envelope()
    assert envelope["type"] == "notification.created"
    assert envelope["data"]["id"] == str(notification.pk)
    assert envelope["data"]["title"] == "Sam Sitter accepted your booking"
    assert set(envelope) == {"type", "id", "ts", "data"}


def test_notify_bulk_costs_a_fixed_number_of_queries(django_assert_max_num_queries: Any) -> None:
    users = ParentFactory.create_batch(30)
    preferences_update(user=users[0], changes={"booking": {"email": False}})
    requests = [NotifyRequest(user=user, kind="booking.accepted", context=BOOKING) for user in users]

    # savepoint + preferences + devices + 2 INSERTs + release, whatever the count
    with django_assert_max_num_queries(6):
        notifications = notify_bulk(requests=requests)

    assert Notification.objects.count() == 30
    assert Delivery.objects.filter(channel="email").count() == 29
    assert [n.user for n in notifications] == users


def test_the_actor_is_recorded(parent: User, sitter: User) -> None:
    notification = notify(user=parent, kind="booking.accepted", context=BOOKING, actor=sitter)

    assert Notification.objects.get(pk=notification.pk).actor == sitter


def test_the_preferences_service_names_what_it_refuses(parent: User) -> None:
    from guardiannest.errors import ApplicationError, Refusal

    with pytest.raises(ApplicationError) as unknown:
        preferences_update(user=parent, changes={"bookings": {"email": False}, "chat": {"fax": True}})
    with pytest.raises(ApplicationError) as locked:
        preferences_update(user=parent, changes={"emergency": {"sms": False}})

    assert (unknown.value.refusal, unknown.value.code) == (Refusal.INVALID, "invalid")
    assert set(unknown.value.errors or {}) == {"preferences.bookings", "preferences.chat.fax"}
    assert "bookings" in unknown.value.detail and "chat.fax" in unknown.value.detail
    assert (locked.value.refusal, locked.value.code) == (Refusal.INVALID, "cannot_disable")
    assert not NotificationPreference.objects.exists()


SOS = {"emergency_id": "e", "raised_by": "Sam"}


def test_a_contact_without_an_account_is_reached_at_the_number_given_and_has_no_inbox(
    parent: User, broker: Broker, django_capture_on_commit_callbacks: Any
) -> None:
    from messaging.services.notifications import Contact

    listener = GroupListener([user_group(parent.pk)])
    grandma = Contact(name="Grace Hopper", phone="+14155550111", on_behalf_of=parent)
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user=grandma, kind="emergency.raised", context=SOS)

    stored = Notification.objects.get(pk=notification.pk)
    assert stored.user_id is None and stored.on_behalf_of_id == parent.pk and stored.recipient_name == "Grace Hopper"
    # SMS only (no email given, no app): to the number as given, unverified, from the critical queue
    [sms] = stored.deliveries.all()
    assert (sms.channel, sms.status, sms.address) == ("sms", "queued", "+14155550111")
    assert "Grace Hopper" not in sms.payload["body"] and "Sam" in sms.payload["body"]
    assert [m["args"][0] for m in broker.messages("critical")] == [str(sms.pk)]
    # nobody's in-app list, no socket event
    assert not Notification.objects.filter(user=parent).exists()
    with pytest.raises(TimeoutError):
        listener.next_envelope(timeout=0.3)
    listener.close()


def test_a_contact_gets_only_what_cannot_be_switched_off(parent: User) -> None:
    from messaging.services.notifications import Contact

    contact = Contact(name="Grace", phone="+14155550111", email="grace@example.com", on_behalf_of=parent)

    with pytest.raises(ValueError, match="cannot be switched off"):
        notify(user=contact, kind="booking.accepted", context=BOOKING)
    assert not Notification.objects.exists()


def test_erasing_an_account_erases_what_went_to_its_contacts(parent: User) -> None:
    from messaging.services.notifications import Contact, notifications_erase

    notify(user=Contact(name="Grace", phone="+14155550111", on_behalf_of=parent), kind="emergency.raised", context=SOS)
    kept = notify(user=ParentFactory(), kind="emergency.raised", context=SOS)

    notifications_erase(parent)

    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(Delivery.objects.values_list("notification_id", flat=True).distinct()) == [kept.pk]
