"""The ledger of families who booked a sitter, as the booking flow writes it (``client_booking_recorded``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import User
from conftest import race
from guardiannest.errors import ApplicationError
from sitters.models import SitterClient
from sitters.services.clients import client_booking_recorded
from sitters.tests.factories import SitterProfileFactory

T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_each_booking_is_counted_and_dates_widen(sitter: User, parent: User) -> None:
    profile = SitterProfileFactory(user=sitter)

    client_booking_recorded(sitter_id=profile.pk, parent_id=parent.pk, booked_at=T0)
    client_booking_recorded(sitter_id=profile.pk, parent_id=parent.pk, booked_at=T0 + timedelta(days=7))
    client = client_booking_recorded(sitter_id=profile.pk, parent_id=parent.pk, booked_at=T0 - timedelta(days=3))

    assert client.bookings_count == 3
    assert client.first_booked_at == T0 - timedelta(days=3)
    assert client.last_booked_at == T0 + timedelta(days=7)
    assert SitterClient.objects.count() == 1


@pytest.mark.django_db
def test_unknown_sitter_or_non_parent_is_refused(sitter: User, other_sitter: User, parent: User) -> None:
    profile = SitterProfileFactory(user=sitter)

    with pytest.raises(ApplicationError) as raised:
        client_booking_recorded(sitter_id=uuid.uuid4(), parent_id=parent.pk, booked_at=T0)
    assert "sitter_id" in (raised.value.errors or {})
    with pytest.raises(ApplicationError) as raised:
        client_booking_recorded(sitter_id=profile.pk, parent_id=other_sitter.pk, booked_at=T0)
    assert "parent_id" in (raised.value.errors or {})
    assert not SitterClient.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_are_all_counted(sitter: User, parent: User) -> None:
    profile = SitterProfileFactory(user=sitter)

    results = race(8, lambda: client_booking_recorded(sitter_id=profile.pk, parent_id=parent.pk, booked_at=T0))

    assert all(isinstance(result, SitterClient) for result in results), results
    assert SitterClient.objects.get(sitter=profile, parent=parent).bookings_count == 8
