"""The escalation ladder, as data: who each step tells, in which order, and with which notification.

Step 0 is the fan-out at raise (:data:`FIRST`). While nobody acknowledges or
resolves the alert, a new step is due every ``EMERGENCY_ESCALATION_SECONDS``
(60 by default), climbing :data:`LADDER` and then repeating it, up to
``EMERGENCY_ESCALATION_MAX_STEPS`` escalations:

    t=0      raised         the parties (never the one who raised it) and the family's emergency contacts,
                            in their priority order, on every channel each has
    t=60 s   family_again   the same people again, every channel: "still nobody has answered"
    t=120 s  on_call_staff  the staff on call (EMERGENCY_ON_CALL_GROUP; every active staff member when empty)
    t=180 s  family_again   ... and so on, until acknowledged or resolved

A step whose rung reaches nobody pages the on-call staff instead. Staff see
every SOS live on their sockets from the first second; the on-call rung pages
them on their phones too. Changing the ladder is changing this table: a rung
names audiences, the services find the people.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    # The booking's parent and sitter and the family's parent, less whoever raised the alert.
    PARTIES = "parties"
    # The family's emergency contacts (accounts), by priority: 1 first.
    CONTACTS = "contacts"
    ON_CALL_STAFF = "on_call_staff"


@dataclass(frozen=True)
class Rung:
    key: str
    audiences: tuple[Audience, ...]
    kind: str  # the notification kind (messaging.kinds) its messages are sent as


FIRST = Rung("raised", (Audience.PARTIES, Audience.CONTACTS), "emergency.raised")
LADDER: tuple[Rung, ...] = (
    Rung("family_again", (Audience.PARTIES, Audience.CONTACTS), "emergency.escalated"),
    Rung("on_call_staff", (Audience.ON_CALL_STAFF,), "emergency.escalated"),
)

# A step whose rung reaches nobody (a sitter's SOS outside any booking has no family) pages the on-call staff instead.
ON_CALL_ONLY = Rung("on_call_staff", (Audience.ON_CALL_STAFF,), "emergency.escalated")


def rung_for(number: int) -> Rung:
    """The rung of step ``number``: 0 is the raise, then the ladder round and round."""
    if number == 0:
        return FIRST
    return LADDER[(number - 1) % len(LADDER)]
