"""Feature flags: every named feature has its row after migrate, and staff switch them in the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from waffle.models import Flag, Switch

from guardiannest import flags

pytestmark = pytest.mark.django_db


def test_migrate_leaves_a_row_per_feature_at_its_default() -> None:
    switch = Switch.objects.get(name=flags.MARKETING_EMAIL.name)
    flag = Flag.objects.get(name=flags.INSTANT_BOOKING.name)

    assert switch.active is True and flags.marketing_email_on() is True
    assert flag.everyone is None and not flag.users.exists()


def test_a_feature_without_a_row_answers_its_default(parent: object) -> None:
    Switch.objects.filter(name=flags.MARKETING_EMAIL.name).delete()
    Flag.objects.filter(name=flags.INSTANT_BOOKING.name).delete()

    assert flags.marketing_email_on() is True
    assert flags.instant_booking_for(parent) is False


def test_staff_switch_marketing_email_off_and_on_in_the_admin(
    staff_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    switch = Switch.objects.get(name=flags.MARKETING_EMAIL.name)
    changelist = "/admin/waffle/switch/"
    assert staff_client.get(changelist).status_code == 200

    assert flags.marketing_email_on() is True  # read, so the answer is cached

    with django_capture_on_commit_callbacks(execute=True):  # waffle drops its cached answer after commit
        response = staff_client.post(changelist, {"action": "disable_switches", "_selected_action": [switch.pk]})
    assert response.status_code == 302
    assert flags.marketing_email_on() is False

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(changelist, {"action": "enable_switches", "_selected_action": [switch.pk]})
    assert flags.marketing_email_on() is True


def test_staff_turn_instant_booking_on_for_everyone_in_the_admin(
    staff_client: Client, sitter: object, django_capture_on_commit_callbacks: Any
) -> None:
    flag = Flag.objects.get(name=flags.INSTANT_BOOKING.name)
    assert flags.instant_booking_for(sitter) is False

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/admin/waffle/flag/", {"action": "enable_for_all", "_selected_action": [flag.pk]})

    assert response.status_code == 302
    assert flags.instant_booking_for(sitter) is True
