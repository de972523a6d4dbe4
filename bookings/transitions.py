"""Which moves between booking statuses exist, and who may make each: one table, as data.

The services read it and nothing else: a move missing here, or made by a
party not listed for it, is a 409 ``transition_not_allowed``. ``SYSTEM`` is
the platform itself (a beat job, a payment notice); ``STAFF`` acts from the
admin through the same services.
"""

from __future__ import annotations

from enum import StrEnum

from bookings.models import BookingStatus as S


class Party(StrEnum):
    PARENT = "parent"
    SITTER = "sitter"
    STAFF = "staff"
    SYSTEM = "system"


P, SI, ST, SY = Party.PARENT, Party.SITTER, Party.STAFF, Party.SYSTEM

TRANSITIONS: dict[tuple[S, S], frozenset[Party]] = {
    (S.REQUESTED, S.ACCEPTED): frozenset({SI}),
    (S.REQUESTED, S.DECLINED): frozenset({SI}),
    (S.REQUESTED, S.EXPIRED): frozenset({SY}),
    (S.REQUESTED, S.CANCELLED): frozenset({P, ST, SY}),  # the system: a multi-sitter request taken by another
    (S.ACCEPTED, S.CONFIRMED): frozenset({SY}),  # the payment is authorised
    (S.ACCEPTED, S.CANCELLED): frozenset({P, SI, ST}),
    (S.CONFIRMED, S.CANCELLED): frozenset({P, SI, ST}),
    (S.CONFIRMED, S.IN_PROGRESS): frozenset({SI}),  # check-in
    (S.IN_PROGRESS, S.COMPLETED): frozenset({SI}),  # check-out
    (S.COMPLETED, S.DISPUTED): frozenset({P}),
}


def allowed(current: str, target: str, party: Party) -> bool:
    return party in TRANSITIONS.get((S(current), S(target)), frozenset())
