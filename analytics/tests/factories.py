"""A small world of known history for the figures: users who joined, bookings that moved, money that moved.

Rows are written as they would be at the given moments: timestamps the models set
themselves (``auto_now_add``) are moved to the moment afterwards, in setup only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections

from accounts.models import User
from accounts.tests.factories import ParentFactory, SitterFactory
from bookings.models import Booking, BookingEvent, BookingStatus
from payments.models import LedgerEntry, LedgerKind, Payment
from payments.services.ledger import capture_lines, ledger_post, refund_lines
from payments.tests.factories import PaymentFactory
from sitters.models import ReliabilityEvent, SitterProfile
from sitters.tests.factories import SitterProfileFactory

S = BookingStatus


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    """``YYYY-MM-DD`` at ``hour:minute`` UTC."""
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


def parent(joined: datetime, **fields: Any) -> User:
    return ParentFactory(date_joined=joined, **fields)


def sitter(joined: datetime, *, latitude: float = 52.52, longitude: float = 13.40, **fields: Any) -> User:
    """A sitter with a profile whose search point is (``latitude``, ``longitude``)."""
    user = SitterFactory(date_joined=joined, **fields)
    SitterProfileFactory(user=user, latitude=latitude, longitude=longitude)
    return user


def booking(
    parent: User,
    sitter: User,
    *,
    requested_at: datetime,
    starts_at: datetime | None = None,
    zone: str = "Europe/Berlin",
    moves: tuple[tuple[str, datetime], ...] = (),
) -> Booking:
    """A booking requested at ``requested_at``, then moved through ``moves`` ((to_status, when), …).

    Each move writes its ``BookingEvent`` as the services do (the request itself from "" to requested);
    the actor is the party who makes such a move (the sitter answers and works, the parent cancels,
    the platform confirms and expires).
    """
    starts_at = starts_at or requested_at + timedelta(days=2)
    status = moves[-1][0] if moves else S.REQUESTED
    worked = status in (S.IN_PROGRESS, S.COMPLETED, S.DISPUTED)
    made = Booking.objects.create(
        parent=parent,
        sitter=sitter,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        timezone=zone,
        hourly_rate=2500,
        price_amount=5000,
        currency="eur",
        status=status,
        expires_at=requested_at + timedelta(hours=24),
        checked_in_at=starts_at if worked else None,
    )
    Booking.objects.filter(pk=made.pk).update(created_at=requested_at)
    previous = ""
    for to_status, when in ((S.REQUESTED, requested_at), *moves):
        by_sitter = to_status in (S.ACCEPTED, S.DECLINED, S.IN_PROGRESS, S.COMPLETED)
        actor = sitter if by_sitter else parent if to_status in (S.REQUESTED, S.CANCELLED) else None
        event = BookingEvent.objects.create(booking=made, actor=actor, from_status=previous, to_status=to_status)
        BookingEvent.objects.filter(pk=event.pk).update(created_at=when)
        previous = to_status
    return made


def _dated(entries: list[uuid.UUID], when: datetime) -> None:
    """Date a ledger transaction (setup only: the ORM refuses to change ledger rows, rightly)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            f"UPDATE {LedgerEntry._meta.db_table} SET created_at = %s WHERE transaction_id = ANY(%s)",
            [when, entries],
        )


def capture(when: datetime, *, amount: int, fee: int, currency: str = "eur") -> Payment:
    """A payment of ``amount`` captured at ``when`` with ``fee`` kept by the platform (its ledger lines)."""
    payment = PaymentFactory(currency=currency, amount=amount)
    transaction = ledger_post(
        payment=payment,
        kind=LedgerKind.CAPTURE,
        lines=capture_lines(authorised=amount, captured=amount, fee=fee),
    )
    _dated([transaction], when)
    return payment


def refund(payment: Payment, when: datetime, *, amount: int, fee_share: int) -> None:
    transaction = ledger_post(
        payment=payment, kind=LedgerKind.REFUND, lines=refund_lines(amount=amount, fee_share=fee_share)
    )
    _dated([transaction], when)


def outcome(sitter: User, kind: str, when: datetime) -> ReliabilityEvent:
    return ReliabilityEvent.objects.create(
        sitter=SitterProfile.objects.get(pk=sitter.pk), kind=kind, booking_id=uuid.uuid4(), occurred_at=when
    )
