"""The escalation ladder, as data: who each step tells, in which order, and with which notification.

Every kind of alert (``Emergency.kind``) climbs the same ladder; only the
notification its messages are sent as (the wording) and the wait before the
first escalation differ. Step 0 is the fan-out at raise (``first``). While
nobody acknowledges or resolves the alert, a new step is due every
``EMERGENCY_ESCALATION_SECONDS`` (60 by default), climbing ``rungs`` and then
repeating them, up to ``EMERGENCY_ESCALATION_MAX_STEPS`` escalations:

    t=0      raised         the parties (never the one who raised it) and the family's emergency contacts,
                            in their priority order, on every channel each has
    t=60 s   family_again   the same people again, every channel: "still nobody has answered"
    t=120 s  on_call_staff  the staff on call (EMERGENCY_ON_CALL_GROUP; every active staff member when empty)
    t=180 s  family_again   ... and so on, until acknowledged or resolved

A safety timer's alert (a missed check-in, a parent overdue: bookings'
safety timers) waits ``EMERGENCY_TIMER_FIRST_STEP_SECONDS`` (300) between
the raise and the first escalation instead: a sitter a few minutes late, or
a parent stuck in traffic, has time to answer before the ladder climbs. A
missed check-in is raised by the platform, so its parties are the parent and
the sitter both.

A step whose rung reaches nobody pages the on-call staff instead. Staff see
every alert live on their sockets from the first second; the on-call rung pages
them on their phones too. Changing the ladder is changing this table: a rung
names audiences, the services find the people.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

from emergencies.models import EmergencyKind


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


@dataclass(frozen=True)
class Ladder:
    """The rungs one kind of alert climbs, and the setting that says how long step 0 waits for an answer."""

    first: Rung
    rungs: tuple[Rung, ...]
    # A step that would reach nobody (a sitter's SOS outside any booking has no family) pages these instead.
    on_call_only: Rung
    first_wait_setting: str = "EMERGENCY_ESCALATION_SECONDS"

    def rung_for(self, number: int) -> Rung:
        """The rung of step ``number``: 0 is the raise, then the rungs round and round."""
        if number == 0:
            return self.first
        return self.rungs[(number - 1) % len(self.rungs)]

    def wait_after(self, number: int) -> int:
        """Seconds from step ``number`` to the next one."""
        name = self.first_wait_setting if number == 0 else "EMERGENCY_ESCALATION_SECONDS"
        return int(getattr(settings, name))


FAMILY = (Audience.PARTIES, Audience.CONTACTS)
STAFF = (Audience.ON_CALL_STAFF,)


def _ladder(first_kind: str, again_kind: str, first_wait_setting: str) -> Ladder:
    return Ladder(
        first=Rung("raised", FAMILY, first_kind),
        rungs=(Rung("family_again", FAMILY, again_kind), Rung("on_call_staff", STAFF, again_kind)),
        on_call_only=Rung("on_call_staff", STAFF, again_kind),
        first_wait_setting=first_wait_setting,
    )


# The SOS: "X raised an emergency alert", then "... and nobody has answered yet". The timers' kinds say what
# happened instead (templates/notifications/emergency.<kind>/: "has not checked in", "has not come back"),
# with "still unanswered" on the escalations (``step`` > 0 in their context).
LADDERS: dict[str, Ladder] = {
    EmergencyKind.SOS: _ladder("emergency.raised", "emergency.escalated", "EMERGENCY_ESCALATION_SECONDS"),
    EmergencyKind.MISSED_CHECK_IN: _ladder(
        "emergency.missed_check_in", "emergency.missed_check_in", "EMERGENCY_TIMER_FIRST_STEP_SECONDS"
    ),
    EmergencyKind.PARENT_OVERDUE: _ladder(
        "emergency.parent_overdue", "emergency.parent_overdue", "EMERGENCY_TIMER_FIRST_STEP_SECONDS"
    ),
}

# The SOS ladder's parts, by their old names.
FIRST = LADDERS[EmergencyKind.SOS].first
LADDER: tuple[Rung, ...] = LADDERS[EmergencyKind.SOS].rungs
ON_CALL_ONLY = LADDERS[EmergencyKind.SOS].on_call_only


def ladder_for(kind: str) -> Ladder:
    return LADDERS[kind]


def rung_for(number: int, kind: str = EmergencyKind.SOS) -> Rung:
    """The rung of step ``number`` of an alert of ``kind``: 0 is the raise, then the ladder round and round."""
    return LADDERS[kind].rung_for(number)
