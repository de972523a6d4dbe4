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
    (S.DISPUTED, S.COMPLETED): frozenset({ST}),  # staff resolve the dispute (with or without a refund)
}

# Moves with a name of their own that share a (from, to) pair above but not its parties: the service
# making one checks both tables. A no-show is the sitter not checked in after the start and its grace
# (BOOKING_NO_SHOW_GRACE_MINUTES): the booking is cancelled, free for the parent, the sitter's hold released,
# and it counts against the sitter's reliability.
NO_SHOW = "no_show"
NAMED: dict[str, dict[tuple[S, S], frozenset[Party]]] = {
    NO_SHOW: {
        (S.ACCEPTED, S.CANCELLED): frozenset({P, ST}),
        (S.CONFIRMED, S.CANCELLED): frozenset({P, ST}),
    },
}


def allowed(current: str, target: str, party: Party) -> bool:
    return party in TRANSITIONS.get((S(current), S(target)), frozenset())


def allowed_named(move: str, current: str, target: str, party: Party) -> bool:
    """``allowed`` for a named move: the pair must exist in both tables, for this party in both."""
    named = NAMED[move].get((S(current), S(target)), frozenset())
    return party in named and allowed(current, target, party)
