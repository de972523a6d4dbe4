"""Query budgets: create, accept and check-in each take a fixed number of queries (the list: test_read_api.py).

A count that changes fails here on purpose: a new query on these paths is a
decision, made by updating its figure with the reason beside it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bookings.models import BookingStatus
from bookings.services import booking_accept, booking_check_in
from bookings.tests.factories import World
from payments.services import customer_for, payment_methods_sync

pytestmark = pytest.mark.django_db

HOME: Any = {"latitude": "52.510000", "longitude": "13.400000"}
# Counted inside the test's transaction, so each atomic block adds a SAVEPOINT and its RELEASE.
# The request: the rules' reads (children, sitter, home, availability, holds), the row, its children,
# its event, the sitter's notification and its deliveries, the audit chain (lock, last hash, insert).
CREATE_QUERIES = 20
# The move (request group check, lock, hold, event, notice, audit) and payments' authorisation on a
# saved card (its payment row, the provider's twin, the ledger, its own audit), then the confirmation.
ACCEPT_QUERIES = 59
# The lock, the family's home for the distance, the row, its event, the parent's notice (the
# notification, the preference read, its deliveries), the safety timer's claim (a missed check-in's
# alert is resolved by the check-in), the audit.
CHECK_IN_QUERIES = 16


def test_create_takes_a_fixed_number_of_queries(world: World, django_assert_num_queries: Any) -> None:
    world.book(start=timezone.now() + timedelta(days=2))  # warm: the first request creates nothing shared

    with django_assert_num_queries(CREATE_QUERIES):
        booking = world.book()

    assert booking.status == BookingStatus.REQUESTED


def test_accept_takes_a_fixed_number_of_queries(world: World, django_assert_num_queries: Any) -> None:
    booking = world.book()
    payment_methods_sync(customer=customer_for(parent=world.parent))

    with django_assert_num_queries(ACCEPT_QUERIES):
        accepted = booking_accept(booking_id=booking.pk, actor=world.sitter)

    assert accepted.status == BookingStatus.CONFIRMED


def test_check_in_takes_a_fixed_number_of_queries(world: World, django_assert_num_queries: Any) -> None:
    booking = booking_accept(booking_id=world.book(start=timezone.now() + timedelta(minutes=20)).pk, actor=world.sitter)

    with django_assert_num_queries(CHECK_IN_QUERIES):
        started = booking_check_in(booking_id=booking.pk, actor=world.sitter, **HOME)

    assert started.status == BookingStatus.IN_PROGRESS
