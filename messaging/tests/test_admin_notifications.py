"""Support sees what went out and what failed, never the addresses or the messages, and can retry failures."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from guardiannest.audit.models import AuditEvent
from messaging.models import Delivery
from messaging.services.notifications import notify

pytestmark = pytest.mark.django_db

BOOKING = {"booking_id": "b-1", "other_name": "Sam Sitter", "starts_at": "Friday 18:00"}


def test_failed_deliveries_are_listed_without_personal_data(staff_client: Client, parent: User) -> None:
    delivery = notify(user=parent, kind="booking.accepted", context=BOOKING).deliveries.get(channel="email")
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", last_error="permanent: SMTP 550")

    listed = staff_client.get("/admin/messaging/delivery/?status__exact=failed").content.decode()
    page = staff_client.get(f"/admin/messaging/delivery/{delivery.pk}/change/").content.decode()
    inbox = staff_client.get(f"/admin/messaging/notification/{delivery.notification_id}/change/").content.decode()

    assert "permanent: SMTP 550" in listed
    assert parent.email not in listed + page  # the delivery's address
    assert "Sam Sitter" not in listed + page + inbox  # the rendered message
    assert parent.email in inbox  # whose notification it is: the account, linked
    assert staff_client.get("/admin/messaging/delivery/add/").status_code == 403


def test_retrying_failed_deliveries_queues_them_again_except_gone_addresses(
    staff_client: Client, parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    notification = notify(user=parent, kind="booking.accepted", context=BOOKING)
    email = notification.deliveries.get(channel="email")
    gone = notification.deliveries.get(channel="push")
    Delivery.objects.filter(pk=email.pk).update(status="failed", attempts=8, last_error="gave up: SMTP 451")
    Delivery.objects.filter(pk=gone.pk).update(status="failed", last_error="address gone: UNREGISTERED")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(
            "/admin/messaging/delivery/",
            {"action": "retry_failed", "_selected_action": [str(email.pk), str(gone.pk)]},
        )

    assert response.status_code == 302
    email.refresh_from_db()
    gone.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("queued", 0, "")
    assert gone.status == "failed"
    assert len(callbacks) == 1
    assert AuditEvent.objects.get(action="delivery.retried").data == {"count": 1}
