"""Every move tells the other party through notify, with its own kind; whoever acted is not told.

The notification rows join the move's transaction (nothing is sent before
commit), so a refused move leaves none.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking
from bookings.services import (
    booking_accept,
    booking_cancel,
    booking_check_in,
    booking_check_out,
    booking_decline,
    booking_dispute,
    booking_dispute_resolve,
    booking_expire,
    booking_hours_confirm,
    booking_no_show,
    booking_review_reply,
    booking_review_submit,
)
from bookings.tests.factories import HOME, World, completed, confirmed_soon, moved
from guardiannest.errors import ApplicationError
from messaging.models import Notification

pytestmark = pytest.mark.django_db


def told(kind: str) -> list[str]:
    """Who received a notification of ``kind``, as user ids."""
    return sorted(str(user_id) for user_id in Notification.objects.filter(kind=kind).values_list("user_id", flat=True))


def ids(*users: User) -> list[str]:
    return sorted(str(user.pk) for user in users)


def test_a_request_tells_the_sitter(world: World) -> None:
    world.book()

    assert told("booking.requested") == ids(world.sitter)


def test_accepting_tells_the_parent(world: World) -> None:
    booking_accept(booking_id=world.book().pk, actor=world.sitter)

    assert told("booking.accepted") == ids(world.parent)


def test_declining_tells_the_parent(world: World) -> None:
    booking_decline(booking_id=world.book().pk, actor=world.sitter)

    assert told("booking.declined") == ids(world.parent)


@pytest.mark.parametrize("by", ["parent", "sitter"])
def test_cancelling_tells_the_other_party(world: World, by: str) -> None:
    booking = booking_accept(booking_id=world.book().pk, actor=world.sitter)
    actor, other = (world.parent, world.sitter) if by == "parent" else (world.sitter, world.parent)

    booking_cancel(booking_id=booking.pk, actor=actor)

    assert told("booking.cancelled") == ids(other)


def test_expiry_tells_both_parties(world: World) -> None:
    booking = world.book()

    assert booking_expire(booking_id=booking.pk, now=booking.expires_at + timedelta(seconds=1))

    assert told("booking.cancelled") == ids(world.parent, world.sitter)


def test_check_in_tells_the_parent(world: World) -> None:
    booking_check_in(booking_id=confirmed_soon(world).pk, actor=world.sitter, **HOME)

    assert told("booking.checked_in") == ids(world.parent)


def test_check_out_tells_the_parent(world: World) -> None:
    booking = booking_check_in(booking_id=confirmed_soon(world).pk, actor=world.sitter, **HOME)

    booking_check_out(booking_id=booking.pk, actor=world.sitter, **HOME)

    assert told("booking.completed") == ids(world.parent)


def test_the_parent_confirming_the_hours_tells_the_sitter(world: World) -> None:
    booking_hours_confirm(booking_id=completed(world).pk, actor=world.parent)

    assert told("booking.hours_confirmed") == ids(world.sitter)
    assert told("booking.completed") == ids(world.parent)  # the check-out's, not a second one


def test_a_dispute_tells_the_sitter(world: World) -> None:
    booking_dispute(booking_id=completed(world).pk, actor=world.parent, reason="Left early")

    assert told("booking.disputed") == ids(world.sitter)


def test_staff_resolving_a_dispute_tell_both_parties(world: World, staff: User) -> None:
    booking = booking_dispute(booking_id=completed(world).pk, actor=world.parent, reason="Left early")

    booking_dispute_resolve(booking_id=booking.pk, actor=staff, refund=500)

    assert told("booking.dispute_resolved") == ids(world.parent, world.sitter)
    assert told("booking.completed") == ids(world.parent)  # the check-out's only


def test_a_no_show_tells_the_sitter_not_the_parent_who_reported_it(world: World) -> None:
    booking = moved(confirmed_soon(world), starts_at=timezone.now() - timedelta(hours=1))

    booking_no_show(booking_id=booking.pk, actor=world.parent)

    assert told("booking.no_show") == ids(world.sitter)
    assert told("booking.cancelled") == []  # one notice, the no-show's


def test_a_review_tells_the_sitter_and_the_reply_tells_the_parent(world: World) -> None:
    booking = completed(world)

    booking_review_submit(booking_id=booking.pk, actor=world.parent, rating=5, comment="Lovely")
    assert told("booking.reviewed") == ids(world.sitter)
    booking_review_reply(booking_id=booking.pk, actor=world.sitter, comment="Thank you")

    assert told("booking.review_replied") == ids(world.parent)
    notice = Notification.objects.get(kind="booking.review_replied")
    assert notice.actor_id == world.sitter.pk and notice.data == {"booking_id": str(booking.pk)}


def test_a_refused_move_tells_nobody(world: World) -> None:
    booking: Booking = confirmed_soon(world, minutes=120)  # check-in opens 30 minutes before the start
    before = Notification.objects.count()

    with pytest.raises(ApplicationError):
        booking_check_in(booking_id=booking.pk, actor=world.sitter, **HOME)
    with pytest.raises(ApplicationError):
        booking_review_submit(booking_id=booking.pk, actor=world.parent, rating=5)

    assert Notification.objects.count() == before
    assert told("booking.checked_in") == told("booking.reviewed") == []
