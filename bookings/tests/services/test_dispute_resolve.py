"""Staff resolve a dispute: the hours are captured, then a partial refund (or none) goes back through payments."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from bookings.models import Booking, BookingStatus, HoursStatus
from bookings.services import booking_dispute, booking_dispute_resolve
from bookings.tests.factories import World, completed
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError
from payments.models import Payment, PaymentStatus, Refund, SimulatedObject

pytestmark = pytest.mark.django_db


def disputed(world: World) -> Booking:
    return booking_dispute(booking_id=completed(world).pk, actor=world.parent, reason="Left early")


def payment_of(booking: Booking) -> Payment:
    return Payment.objects.get(pk=Booking.objects.get(pk=booking.pk).payment_id)


def test_a_partial_refund_captures_the_hours_then_refunds_part(world: World, staff: User) -> None:
    booking = disputed(world)

    resolved = booking_dispute_resolve(booking_id=booking.pk, actor=staff, refund=1000, note="Left 30 min early")
    again = booking_dispute_resolve(booking_id=booking.pk, actor=staff, refund=1000)

    assert (resolved.status, resolved.hours_status) == (BookingStatus.COMPLETED, HoursStatus.CONFIRMED)
    assert again.status == BookingStatus.COMPLETED
    payment = payment_of(booking)
    assert (payment.status, payment.captured_amount, payment.refunded_amount) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        booking.price_amount,
        1000,
    )
    assert Refund.objects.filter(payment=payment).count() == 1
    event = booking.events.get(reason="dispute_resolved")
    assert (event.from_status, event.to_status, event.actor_id) == ("disputed", "completed", staff.pk)
    assert AuditEvent.objects.filter(action="booking.completed", actor_id=staff.pk).count() == 1


def test_no_refund_captures_the_hours(world: World, staff: User) -> None:
    booking = disputed(world)

    booking_dispute_resolve(booking_id=booking.pk, actor=staff, refund=0)

    payment = payment_of(booking)
    assert (payment.status, payment.captured_amount, payment.refunded_amount) == (
        PaymentStatus.CAPTURED,
        booking.price_amount,
        0,
    )


def test_a_refund_above_what_was_paid_names_refund_and_moves_nothing(world: World, staff: User) -> None:
    booking = disputed(world)

    with pytest.raises(ApplicationError) as raised:
        booking_dispute_resolve(booking_id=booking.pk, actor=staff, refund=booking.price_amount + 1)

    assert raised.value.errors is not None and "refund" in raised.value.errors
    assert payment_of(booking).status == PaymentStatus.AUTHORISED
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.DISPUTED


def test_only_staff_resolve(world: World) -> None:
    booking = disputed(world)

    for actor in (world.parent, world.sitter):
        with pytest.raises(ApplicationError) as raised:
            booking_dispute_resolve(booking_id=booking.pk, actor=actor, refund=0)
        assert raised.value.code == "transition_not_allowed"
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.DISPUTED


def test_a_booking_not_disputed_cannot_be_resolved(world: World, staff: User) -> None:
    booking = completed(world)

    with pytest.raises(ApplicationError) as raised:
        booking_dispute_resolve(booking_id=booking.pk, actor=staff, refund=0)

    assert raised.value.code == "transition_not_allowed"


def test_staff_resolve_with_a_refund_from_the_admin(world: World, staff_client: Client) -> None:
    booking = disputed(world)
    changelist = reverse("admin:bookings_booking_changelist")
    chosen = {"action": "resolve_with_refund", "_selected_action": [str(booking.pk)], "index": "0"}

    page = staff_client.post(changelist, chosen)
    assert page.status_code == 200 and b"refund" in page.content
    staff_client.post(changelist, {**chosen, "apply": "1", "refund": "700", "note": "Partly"})

    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.COMPLETED
    assert payment_of(booking).refunded_amount == 700
    event = booking.events.get(reason="dispute_resolved")
    assert event.actor is not None and event.actor.email == "staff@guardiannest.demo"
    assert staff_client.get(changelist + "?status__exact=completed").status_code == 200


def _provider_refunded(payment: Payment, amount: int) -> None:
    """What the (simulated) provider says was refunded already, as if done in its own dashboard."""
    intent = SimulatedObject.objects.get(pk=payment.provider_intent_id, kind="payment_intent")
    intent.data = {**intent.data, "amount_refunded": amount}
    intent.save(update_fields=["data"])


def test_a_refused_refund_keeps_the_capture_and_the_dispute_and_a_retry_does_not_capture_twice(
    world: World, staff: User
) -> None:
    booking = disputed(world)
    _provider_refunded(payment_of(booking), 10**9)  # the provider will refuse any refund

    with pytest.raises(ApplicationError):
        booking_dispute_resolve(booking_id=booking.pk, actor=staff, refund=500)

    payment = payment_of(booking)
    assert (payment.status, payment.captured_amount, payment.refunded_amount) == (
        PaymentStatus.CAPTURED,
        booking.price_amount,
        0,
    )
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.DISPUTED
    _provider_refunded(payment, 0)

    booking_dispute_resolve(booking_id=booking.pk, actor=staff, refund=500)

    payment = payment_of(booking)
    assert (payment.captured_amount, payment.refunded_amount) == (booking.price_amount, 500)
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.COMPLETED
