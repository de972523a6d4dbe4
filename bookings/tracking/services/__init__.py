"""Changes of live tracking and safety timers: a module per subdomain."""

from bookings.tracking.services.locations import (
    location_event_data,
    location_record,
    locations_erase,
    locations_export,
    locations_purge,
)
from bookings.tracking.services.safety import (
    safety_check_in_missed_alert,
    safety_check_in_missed_alert_due,
    safety_parent_overdue_raise,
    safety_timers_settle,
)

__all__ = [
    "location_event_data",
    "location_record",
    "locations_erase",
    "locations_export",
    "locations_purge",
    "safety_check_in_missed_alert",
    "safety_check_in_missed_alert_due",
    "safety_parent_overdue_raise",
    "safety_timers_settle",
]
