"""The ``marketing_email`` switch (guardiannest/flags.py): marketing email goes out only while it is on."""

from __future__ import annotations

from typing import Any

import pytest
from waffle.models import Switch

from accounts.models import User
from guardiannest import flags
from messaging.models import Notification
from messaging.services.notifications import notify
from messaging.services.preferences import preferences_update

pytestmark = pytest.mark.django_db


def _channels(notification: Notification) -> set[str]:
    return {delivery.channel for delivery in notification.deliveries.all()}


def test_marketing_email_waits_for_the_switch_even_after_the_opt_in(
    parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    preferences_update(user=parent, changes={"marketing": {"email": True}})
    switch = Switch.objects.get(name=flags.MARKETING_EMAIL.name)
    switch.active = False
    with django_capture_on_commit_callbacks(execute=True):  # waffle drops its cached answer after commit
        switch.save()

    while_off = notify(user=parent, kind="marketing.newsletter", context={"headline": "Spring news"})
    switch.active = True
    with django_capture_on_commit_callbacks(execute=True):
        switch.save()
    while_on = notify(user=parent, kind="marketing.newsletter", context={"headline": "Summer news"})

    assert _channels(while_off) == set()
    assert _channels(while_on) == {"email"}


def test_the_switch_leaves_other_categories_alone(parent: User) -> None:
    Switch.objects.filter(name=flags.MARKETING_EMAIL.name).update(active=False)

    notification = notify(
        user=parent, kind="booking.accepted", context={"booking_id": "b-1", "other_name": "Sam", "starts_at": "Friday"}
    )

    assert "email" in _channels(notification)
