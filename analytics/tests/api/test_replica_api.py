"""With a read replica configured, the analytics figures come from it; writes never go there.

The test settings give the ``replica`` alias a PostgreSQL database of its own
(``<default>_replica``), created for the tests that ask for it, with no router:
each test here installs ``guardiannest.dbrouters.ReplicaRouter`` as settings do
when DATABASE_REPLICA_URL is set. The replica holds other rows than the primary,
so a figure says which database answered it.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections, router
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import Role, User
from analytics.tests.factories import at, booking, parent, sitter
from bookings.models import Booking, BookingEvent
from guardiannest.dbrouters import REPLICA, replica_reads

pytestmark = pytest.mark.django_db(databases=["default", "replica"])
ROUTED = override_settings(DATABASE_ROUTERS=["guardiannest.dbrouters.ReplicaRouter"])


def _replica_rows(parents: int) -> None:
    """``parents`` parents who joined today on the replica, each with one booking requested today."""
    now = datetime.now(UTC)
    sitter_user = User(email="replica.sitter@example.com", role=Role.SITTER)
    sitter_user.set_unusable_password()
    sitter_user.save(using=REPLICA)
    for index in range(parents):
        user = User(email=f"replica.parent{index}@example.com", role=Role.PARENT)
        user.set_unusable_password()
        user.save(using=REPLICA)
        made = Booking(
            parent_id=user.pk,
            sitter_id=sitter_user.pk,
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=2),
            timezone="Europe/Berlin",
            hourly_rate=2500,
            price_amount=5000,
            currency="eur",
            expires_at=now + timedelta(days=1),
        )
        made.save(using=REPLICA)
        BookingEvent(booking_id=made.pk, from_status="", to_status="requested").save(using=REPLICA)


@pytest.fixture
def two_databases() -> str:
    """The primary: one parent with one request today. The replica: three, each with one. Answers today's query."""
    now = datetime.now(UTC)
    booking(parent(now), sitter(now), requested_at=now)
    _replica_rows(parents=3)
    today = now.date().isoformat()
    return f"from={today}&to={today}"


def _today(staff_api: APIClient, endpoint: str, window: str) -> dict[str, object]:
    response = staff_api.get(f"/api/v1/analytics/{endpoint}?{window}")
    assert response.status_code == 200
    return response.json()["series"][0]


def test_with_the_router_the_figures_come_from_the_replica(staff_api: APIClient, two_databases: str) -> None:
    with ROUTED:
        bookings = _today(staff_api, "bookings", two_databases)
        users = _today(staff_api, "users", two_databases)

    assert bookings["requested"] == 3
    assert (users["new_parents"], users["new_sitters"]) == (3, 1)


def test_without_the_router_everything_reads_the_primary(staff_api: APIClient, two_databases: str) -> None:
    bookings = _today(staff_api, "bookings", two_databases)
    users = _today(staff_api, "users", two_databases)

    assert bookings["requested"] == 1
    assert (users["new_parents"], users["new_sitters"]) == (1, 1)


def test_only_reads_inside_the_block_go_to_the_replica_and_writes_never(two_databases: str) -> None:
    with ROUTED:
        assert Booking.objects.count() == 1  # outside the block: the primary
        with replica_reads():
            assert Booking.objects.count() == 3
            assert router.db_for_write(Booking) == "default"
            booking(parent(at("2026-01-01")), sitter(at("2026-01-01")), requested_at=at("2026-01-02"))
            assert Booking.objects.count() == 3  # the write went to the primary
        assert Booking.objects.count() == 2
        assert Booking.objects.using(REPLICA).count() == 3


@pytest.mark.django_db(databases=["default", "replica"], transaction=True)
def test_a_replica_that_cannot_be_reached_leaves_the_figures_on_the_primary(
    staff_api: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a request on the primary, and the replica's address pointing at a port nobody listens on
    now = datetime.now(UTC)
    booking(parent(now), sitter(now), requested_at=now)
    today = now.date().isoformat()
    replica = connections[REPLICA]
    replica.close()
    saved = dict(replica.settings_dict)
    replica.settings_dict["PORT"] = _closed_port()
    try:
        with ROUTED:
            response = staff_api.get(f"/api/v1/analytics/bookings?from={today}&to={today}")
    finally:
        replica.close()
        replica.settings_dict.clear()
        replica.settings_dict.update(saved)

    assert response.status_code == 200
    assert response.json()["series"][0]["requested"] == 1
    assert "replica_unavailable_read_primary" in caplog.text


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends
