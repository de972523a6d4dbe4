"""Payments tells bookings about a booking's payment (the handler registered at start-up); repeats are harmless."""

from __future__ import annotations

import pytest

from bookings.models import BookingEvent, BookingStatus
from bookings.services import booking_accept, booking_cancel
from bookings.tests.factories import World, declining_card
from payments.providers.simulated import SimulatedProvider
from payments.services import customer_for, payment_authorise, payment_methods_sync
from payments.services.notices import payment_event_deliver

pytestmark = pytest.mark.django_db


def _authorised_later(world: World) -> tuple[str, str]:
    """A booking accepted with a declined card, then paid with a new card: (booking id, payment id)."""
    declining_card(world.parent)
    booking = booking_accept(booking_id=world.book().pk, actor=world.sitter)
    assert booking.status == BookingStatus.ACCEPTED
    customer = customer_for(parent=world.parent)
    SimulatedProvider().card_add(customer_id=customer.provider_customer_id, last4="4242")
    payment_methods_sync(customer=customer)
    payment = payment_authorise(
        payer=world.parent, payee=world.sitter, amount=booking.price_amount, reference=str(booking.pk), actor=None
    )
    return str(booking.pk), str(payment.pk)


def test_a_payment_authorised_later_confirms_the_accepted_booking_once(world: World) -> None:
    booking_id, payment_id = _authorised_later(world)

    payment_event_deliver(payment_id=payment_id, event="authorised")
    payment_event_deliver(payment_id=payment_id, event="authorised")

    confirmed = BookingEvent.objects.filter(booking_id=booking_id, to_status="confirmed")
    assert confirmed.count() == 1
    assert str(confirmed.get().booking.payment_id) == payment_id


def test_a_notice_for_a_cancelled_booking_changes_nothing(world: World) -> None:
    booking_id, payment_id = _authorised_later(world)
    booking_cancel(booking_id=booking_id, actor=world.parent)  # type: ignore[arg-type]

    payment_event_deliver(payment_id=payment_id, event="authorised")

    assert not BookingEvent.objects.filter(booking_id=booking_id, to_status="confirmed").exists()
