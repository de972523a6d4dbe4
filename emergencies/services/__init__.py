"""Every change to an alert, a module per subdomain.

- ``sos``: a parent or a sitter raises an SOS.
- ``timers``: a booking's safety timer opens its alert (missed check-in, parent overdue) and resolves it.
- ``ladder``: a step of the escalation ladder, and the re-drive of lost steps.
- ``answers``: acknowledge and resolve.
- ``alerts``: what they share (the event envelope, the broadcast, the scheduling of a step).
- ``gdpr``: the export.

Every service takes ``now`` so a test can move the clock instead of waiting.
"""

from emergencies.services.alerts import ETA_LIMIT, emergency_event_data, osm_url, step_schedule
from emergencies.services.answers import NOTES_MAX, emergency_acknowledge, emergency_resolve
from emergencies.services.gdpr import emergencies_export
from emergencies.services.ladder import (
    CLOCK_SKEW,
    REDRIVE_BATCH,
    REDRIVE_GRACE,
    escalation_redrive,
    escalation_step_run,
)
from emergencies.services.sos import MESSAGE_MAX, sos_raise
from emergencies.services.timers import emergency_timer_raise, emergency_timer_resolve

__all__ = [
    "CLOCK_SKEW",
    "ETA_LIMIT",
    "MESSAGE_MAX",
    "NOTES_MAX",
    "REDRIVE_BATCH",
    "REDRIVE_GRACE",
    "emergencies_export",
    "emergency_acknowledge",
    "emergency_event_data",
    "emergency_resolve",
    "emergency_timer_raise",
    "emergency_timer_resolve",
    "escalation_redrive",
    "escalation_step_run",
    "osm_url",
    "sos_raise",
    "step_schedule",
]
