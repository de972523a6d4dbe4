"""Two weeks of known history (Monday 2 to Sunday 15 March 2026) and the figures they must give."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from accounts.models import User
from accounts.tests.factories import StaffFactory
from analytics.selectors.periods import Interval, Window
from analytics.tests.factories import S, at, booking, capture, outcome, parent, refund, sitter

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)


def march(interval: Interval) -> Window:
    return Window(start=FIRST, end=date(2026, 3, 16), interval=interval)


@dataclass
class History:
    parents: dict[str, User]
    sitters: dict[str, User]


@pytest.fixture
def history(db: Any) -> History:
    """Six bookings requested in the window (and one just before, one just after), money, outcomes.

    Week of 2 March: B1 requested, accepted after 600 s, confirmed, completed on the 6th; B2 accepted after
    3600 s, confirmed, cancelled by the parent on the 4th. Week of 9 March: B6 (a New York booking) accepted
    after 7200 s and completed; B3 declined after 1800 s; B4 expired; B5 withdrawn by the parent.
    """
    p0 = parent(at("2026-02-20"))  # joined before the window
    p1, p2, p3 = parent(at("2026-03-02", 10)), parent(at("2026-03-03", 9)), parent(at("2026-03-10"))
    s1 = sitter(at("2026-03-02", 8), latitude=52.52, longitude=13.40)
    s2 = sitter(at("2026-03-11"), latitude=48.137, longitude=11.575)
    StaffFactory(date_joined=at("2026-03-04"))  # staff never count as users

    booking(p1, s1, requested_at=at("2026-03-01", 23, 59))  # a minute before the window
    booking(
        p1,
        s1,
        requested_at=at("2026-03-02", 12),
        starts_at=at("2026-03-06", 18),  # Friday 19:00 in Berlin
        moves=(
            (S.ACCEPTED, at("2026-03-02", 12, 10)),
            (S.CONFIRMED, at("2026-03-02", 12, 10)),
            (S.IN_PROGRESS, at("2026-03-06", 18)),
            (S.COMPLETED, at("2026-03-06", 20)),
        ),
    )
    booking(
        p2,
        s1,
        requested_at=at("2026-03-03", 8),
        starts_at=at("2026-03-07", 9),  # Saturday 10:00 in Berlin
        moves=(
            (S.ACCEPTED, at("2026-03-03", 9)),
            (S.CONFIRMED, at("2026-03-03", 9)),
            (S.CANCELLED, at("2026-03-04", 10)),
        ),
    )
    booking(
        p0,
        s1,
        requested_at=at("2026-03-09", 10),
        starts_at=at("2026-03-11", 10),  # Wednesday 06:00 in New York (summer time since 8 March)
        zone="America/New_York",
        moves=(
            (S.ACCEPTED, at("2026-03-09", 12)),
            (S.CONFIRMED, at("2026-03-09", 12)),
            (S.IN_PROGRESS, at("2026-03-11", 10)),
            (S.COMPLETED, at("2026-03-11", 12)),
        ),
    )
    booking(
        p1,
        s1,
        requested_at=at("2026-03-10", 12),
        starts_at=at("2026-03-13", 17),
        moves=((S.DECLINED, at("2026-03-10", 12, 30)),),
    )  # Friday 18:00 in Berlin
    booking(
        p3,
        s2,
        requested_at=at("2026-03-11", 7),
        starts_at=at("2026-03-14", 8),
        moves=((S.EXPIRED, at("2026-03-12", 7)),),
    )  # Saturday 09:00 in Berlin
    booking(
        p3,
        s2,
        requested_at=at("2026-03-12", 10),
        starts_at=at("2026-03-14", 10),
        moves=((S.CANCELLED, at("2026-03-12", 11)),),
    )  # Saturday 11:00 in Berlin
    booking(p1, s1, requested_at=at("2026-03-16", 0))  # the first moment after the window

    first = capture(at("2026-03-06", 20), amount=5000, fee=750)
    capture(at("2026-03-11", 12), amount=5000, fee=750)
    refund(first, at("2026-03-12"), amount=2000, fee_share=300)
    capture(at("2026-03-10"), amount=3000, fee=450, currency="usd")
    capture(at("2026-03-16", 0), amount=9000, fee=1350)  # after the window

    outcome(s1, "cancelled", at("2026-03-04", 10))
    outcome(s1, "completed", at("2026-03-06", 20))
    outcome(s1, "completed", at("2026-03-11", 12))
    outcome(s2, "no_show", at("2026-03-12", 9))
    return History(parents={"p0": p0, "p1": p1, "p2": p2, "p3": p3}, sitters={"s1": s1, "s2": s2})
