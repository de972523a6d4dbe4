"""POST bookings/{id}/overdue: the sitter reports that the parent has not come back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.problems import assert_problem
from bookings.models import Booking, SafetyAlert
from bookings.tests.factories import World
from bookings.tests.tracking_helpers import under_way

pytestmark = pytest.mark.django_db


def test_after_the_end_the_sitter_alerts_once_201_then_200(
    world: World, sitter_api: APIClient, parent_api: APIClient, staff: User
) -> None:
    booking = under_way(world)
    url = f"/api/v1/bookings/{booking.pk}/overdue"
    assert_problem(sitter_api.post(url), 409, "booking_not_ended")
    assert_problem(parent_api.post(url), 403, "not_the_sitter")
    # the booking's end passes (the sitter checked in; the clock moves on)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=booking.starts_at - timedelta(hours=3), ends_at=booking.ends_at - timedelta(hours=3)
    )

    first = sitter_api.post(url)
    again = sitter_api.post(url)

    assert first.status_code == 201, first.content
    body = first.json()
    assert body["kind"] == "parent_overdue" and body["booking_id"] == str(booking.pk)
    assert again.status_code == 200 and again.json() == body
    assert SafetyAlert.objects.get().alert_id is not None
    # the emergency alert it opened is the sitter's and the parent's to follow
    for client in (sitter_api, parent_api):
        alert = client.get(f"/api/v1/emergencies/{body['emergency_id']}")
        assert alert.status_code == 200 and alert.json()["kind"] == "parent_overdue"


def test_a_stranger_gets_404(world: World, other_sitter: User, other_parent: User) -> None:
    from conftest import client_for

    booking = under_way(world)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=booking.starts_at - timedelta(hours=3), ends_at=booking.ends_at - timedelta(hours=3)
    )
    for stranger in (other_sitter, other_parent):
        assert_problem(client_for(stranger).post(f"/api/v1/bookings/{booking.pk}/overdue"), 404, "not_found")
    assert not SafetyAlert.objects.exists()
