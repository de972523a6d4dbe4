"""How a safety timer's alert is raised and settled, without bookings knowing who alerts (issue 15, item 6).

Bookings decide *when*: a confirmed booking not checked in by its start plus
the grace, a sitter reporting the parent overdue, and the booking leaving the
state the timer watched (checked in, checked out, cancelled). The app that
alerts decides *how*: emergencies registers itself when it loads (its
``AppConfig.ready()``) and opens an emergency alert of the timer's kind, which
climbs the escalation ladder like an SOS. Bookings sit below emergencies and
never import it; as payments reach bookings through ``payments.handlers``,
emergencies reach bookings' timers through this registry::

    safety_alerters.register("emergencies", SafetyAlerter(raise_=..., resolve=...))

Both calls run inside the booking's transaction, its row locked, so the timer's
claim (a :class:`~bookings.tracking.models.SafetyAlert` row) and the alert
commit or roll back together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from guardiannest.registries import Registry

if TYPE_CHECKING:
    from accounts.models import User
    from bookings.models import Booking


class AlertRaise(Protocol):
    def __call__(
        self,
        *,
        booking: Booking,
        kind: str,
        raised_by: User | None,
        latitude: Decimal | None,
        longitude: Decimal | None,
        now: datetime,
    ) -> tuple[Any, bool]:
        """Open the alert of ``kind`` for ``booking`` (locked); answer it (its ``pk`` is kept) and whether it is new.

        One per booking and kind: a second call answers the first alert and False.
        """


class AlertResolve(Protocol):
    def __call__(self, *, alert_id: UUID, actor: User | None, reason: str, now: datetime) -> bool:
        """Close the alert because its reason is gone (``reason`` says why); False when it was already closed."""


@dataclass(frozen=True)
class SafetyAlerter:
    raise_: AlertRaise
    resolve: AlertResolve


safety_alerters: Registry[SafetyAlerter] = Registry("safety_alerters")


def safety_alerter() -> SafetyAlerter:
    """The one app that alerts. None registered is a deployment error: the timer's transaction fails and retries."""
    alerters = safety_alerters.items()
    if len(alerters) != 1:
        raise RuntimeError(f"bookings' safety timers need exactly one alerter, found {len(alerters)}")
    return alerters[0][1]
