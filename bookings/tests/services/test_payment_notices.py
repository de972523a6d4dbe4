"""Payments tells bookings about a booking's payment (the handler registered at start-up); repeats are harmless."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import BookingEvent, BookingStatus
from bookings.services import booking_accept, booking_cancel
from bookings.tests.factories import World, declining_card
from messaging.models import Notification
from payments.models import Payment
from payments.providers.simulated import AUTHENTICATE_LAST4, SimulatedProvider
from payments.services import customer_for, payment_authorise, payment_method_remove, payment_methods_sync
from payments.services.notices import payment_event_deliver
from payments.services.reauthorisation import payments_reauthorise_due

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


def test_a_failed_reauthorisation_asks_the_parent_to_act_once(world: World) -> None:
    booking = booking_accept(booking_id=world.book().pk, actor=world.sitter)
    assert booking.status == BookingStatus.CONFIRMED
    payment = Payment.objects.get(reference=str(booking.pk))
    # The card that paid is removed; the parent's new card needs them to approve each payment with the bank.
    assert payment.payment_method is not None
    payment_method_remove(method=payment.payment_method, actor=world.parent)
    customer = customer_for(parent=world.parent)
    SimulatedProvider().card_add(customer_id=customer.provider_customer_id, last4=AUTHENTICATE_LAST4)
    payment_methods_sync(customer=customer)
    Payment.objects.filter(pk=payment.pk).update(authorised_at=timezone.now() - timedelta(days=6, hours=12))
    assert payments_reauthorise_due() == {"renewed": 0, "failed": 1, "skipped": 0}

    payment_event_deliver(payment_id=str(payment.pk), event="reauthorisation_failed")
    payment_event_deliver(payment_id=str(payment.pk), event="reauthorisation_failed")  # notices repeat

    told = Notification.objects.filter(kind="booking.payment_action_needed")
    assert [(n.user, n.data["booking_id"]) for n in told] == [(world.parent, str(booking.pk))]
    assert "Check your card" in told.get().title
    assert BookingEvent.objects.filter(booking_id=booking.pk).last().to_status == "confirmed"  # type: ignore[union-attr]
