"""GET notifications, marking read, one-click unsubscribe, and the GDPR export and erasure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from guardiannest.registries import gdpr_erasers, gdpr_exporters
from messaging.models import Delivery, Notification, NotificationPreference
from messaging.selectors.notifications import preferences_get
from messaging.services.notifications import notify
from messaging.services.preferences import UNSUBSCRIBE_SALT, preferences_update
from messaging.tasks import deliver

pytestmark = pytest.mark.django_db

BOOKING = {"booking_id": "b-1", "other_name": "Sam Sitter", "starts_at": "Friday 18:00"}


def _notify_at(user: User, minutes_ago: int, **context: Any) -> Notification:
    notification = notify(user=user, kind="booking.accepted", context={**BOOKING, **context})
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return notification


# --- the in-app list ---------------------------------------------------------------------------


def test_the_list_shows_my_notifications_newest_first_page_by_page(
    parent_api: APIClient, parent: User, other_parent: User
) -> None:
    old = _notify_at(parent, 30, other_name="Old")
    middle = _notify_at(parent, 20, other_name="Middle")
    new = _notify_at(parent, 10, other_name="New")
    _notify_at(other_parent, 5, other_name="Not yours")

    first = parent_api.get("/api/v1/notifications?page_size=2")
    assert first.status_code == 200
    assert [n["id"] for n in first.json()["results"]] == [str(new.pk), str(middle.pk)]
    second = parent_api.get(first.json()["next"])
    assert [n["id"] for n in second.json()["results"]] == [str(old.pk)]
    assert second.json()["next"] is None
    item = first.json()["results"][0]
    assert set(item) == {"id", "kind", "category", "title", "body", "data", "created_at", "read_at"}
    assert item["title"] == "New accepted your booking" and item["data"] == {"booking_id": "b-1"}


def test_marking_read(parent_api: APIClient, parent: User) -> None:
    notification = _notify_at(parent, 1)

    response = parent_api.post(f"/api/v1/notifications/{notification.pk}/read", {}, format="json")
    again = parent_api.post(f"/api/v1/notifications/{notification.pk}/read")

    assert response.status_code == 200 and response.json()["read_at"] is not None
    assert again.json()["read_at"] == response.json()["read_at"]  # the first read time stays


def test_someone_elses_notification_answers_404(parent: User, other_parent: User) -> None:
    from conftest import client_for

    notification = _notify_at(parent, 1)

    assert_problem(client_for(other_parent).post(f"/api/v1/notifications/{notification.pk}/read"), 404, "not_found")
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_touches_only_mine(parent_api: APIClient, parent: User, other_parent: User) -> None:
    _notify_at(parent, 2)
    _notify_at(parent, 1)
    theirs = _notify_at(other_parent, 1)

    response = parent_api.post("/api/v1/notifications/read-all")

    assert response.json() == {"updated": 2}
    assert not Notification.objects.filter(user=parent, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_unknown_fields_on_read_are_refused(parent_api: APIClient, parent: User) -> None:
    notification = _notify_at(parent, 1)

    assert_problem(parent_api.post(f"/api/v1/notifications/{notification.pk}/read", {"x": 1}, format="json"), 400)


# --- one-click unsubscribe (RFC 8058) ----------------------------------------------------------


def _sent_newsletter(user: User) -> Any:
    preferences_update(user=user, changes={"marketing": {"email": True, "push": True}})
    notification = notify(user=user, kind="marketing.newsletter", context={"headline": "News"})
    deliver.apply(args=[str(notification.deliveries.get(channel="email").pk)])
    [message] = mail.outbox
    return message


def test_the_list_unsubscribe_url_of_a_sent_email_unsubscribes_in_one_click(api: APIClient, parent: User) -> None:
    message = _sent_newsletter(parent)
    url = urlsplit(message.extra_headers["List-Unsubscribe"].strip("<>"))
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # what a mail client does: an anonymous form POST to the URL, body List-Unsubscribe=One-Click
    response = api.post(
        f"{url.path}?{url.query}", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"unsubscribed": True, "category": "marketing"}
    assert preferences_get(user=parent)["marketing"] == {"email": False, "sms": False, "push": False}
    later = notify(user=parent, kind="marketing.newsletter", context={"headline": "More news"})
    assert not later.deliveries.exists()


def test_the_apps_unsubscribe_page_may_send_the_token_as_json(api: APIClient, parent: User) -> None:
    token = signing.dumps({"u": str(parent.pk), "c": "booking"}, salt=UNSUBSCRIBE_SALT)

    response = api.post("/api/v1/notifications/unsubscribe", {"token": token}, format="json")

    assert response.json()["category"] == "booking"
    assert preferences_get(user=parent)["booking"] == {"email": False, "sms": True, "push": True}


def _signed(user_id: str, category: str, salt: str = UNSUBSCRIBE_SALT) -> str:
    return signing.dumps({"u": user_id, "c": category}, salt=salt)


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda user: "", "invalid"),
        (lambda user: "garbage", "invalid_token"),
        (lambda user: _signed(str(user.pk), "marketing", salt="another.salt"), "invalid_token"),
        (lambda user: _signed(str(user.pk), "account"), "invalid_token"),
        (lambda user: _signed(str(user.pk), "nonsense"), "invalid_token"),
        (lambda user: _signed("00000000-0000-0000-0000-000000000001", "marketing"), "invalid_token"),
        (lambda user: "x" * 501, "invalid"),
    ],
    ids=["empty", "garbage", "other-salt", "mandatory-category", "unknown-category", "unknown-user", "huge"],
)
def test_a_bad_token_is_refused_and_changes_nothing(api: APIClient, parent: User, make_token: Any, code: str) -> None:
    response = api.post("/api/v1/notifications/unsubscribe", {"token": make_token(parent)}, format="json")

    assert_problem(response, 400, code)
    assert not NotificationPreference.objects.exists()


def test_a_deactivated_account_cannot_be_unsubscribed_by_link(api: APIClient, parent: User) -> None:
    token = _signed(str(parent.pk), "booking")
    parent.is_active = False
    parent.save()

    assert_problem(api.post(f"/api/v1/notifications/unsubscribe?token={token}"), 400, "invalid_token")


def test_a_tampered_token_is_refused(api: APIClient, parent: User, other_parent: User) -> None:
    token = signing.dumps({"u": str(parent.pk), "c": "booking"}, salt=UNSUBSCRIBE_SALT)
    _payload, rest = token.split(":", 1)
    forged_payload = signing.dumps({"u": str(other_parent.pk), "c": "booking"}, salt=UNSUBSCRIBE_SALT).split(":")[0]

    assert_problem(api.post(f"/api/v1/notifications/unsubscribe?token={forged_payload}:{rest}"), 400, "invalid_token")
    assert preferences_get(user=other_parent)["booking"]["email"] is True


# --- GDPR ----------------------------------------------------------------------------------------


def test_the_export_holds_my_notifications_and_preferences(parent: User) -> None:
    preferences_update(user=parent, changes={"chat": {"push": False}})
    notification = _notify_at(parent, 1)
    exporter = dict(gdpr_exporters.items())["notifications"]

    section = exporter(parent)

    assert section["preferences"]["chat"]["push"] is False
    [item] = section["notifications"]
    assert item["id"] == str(notification.pk) and item["title"] == "Sam Sitter accepted your booking"
    assert {d["channel"] for d in item["deliveries"]} == {"email", "push"}


def test_erasure_removes_notifications_deliveries_and_preferences(parent: User, other_parent: User) -> None:
    preferences_update(user=parent, changes={"chat": {"push": False}})
    _notify_at(parent, 1)
    theirs = notify(user=other_parent, kind="booking.accepted", context=BOOKING, actor=parent)
    eraser = dict(gdpr_erasers.items())["notifications"]

    eraser(parent)

    assert not Notification.objects.filter(user=parent).exists()
    assert not Delivery.objects.filter(notification__user=parent).exists()
    assert not NotificationPreference.objects.filter(user=parent).exists()
    theirs.refresh_from_db()
    assert theirs.actor is None  # the other family keeps its notification, without the erased actor
