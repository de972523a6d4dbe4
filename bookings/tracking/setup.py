"""What bookings' ready() wires for live tracking and safety timers: beat jobs, routes, the socket handler, GDPR.

Their notification kinds are registered in bookings/apps.py itself, with the app's other kinds.
"""

from __future__ import annotations


def ready() -> None:
    from bookings.tracking import tasks  # noqa: F401  (workers register the tasks)
    from bookings.tracking.consumers import location_socket_handler
    from bookings.tracking.services import locations_erase, locations_export
    from guardiannest.realtime.handlers import client_handlers
    from guardiannest.registries import QUEUE_CRITICAL, beat_entries, gdpr_erasers, gdpr_exporters, task_routes

    task_routes.register("bookings.safety_check_in_missed_alert_due", QUEUE_CRITICAL)
    beat_entries.register(
        "bookings-safety-check-in-missed",
        {"task": "bookings.safety_check_in_missed_alert_due", "schedule": 60.0},
    )
    beat_entries.register("bookings-locations-purge", {"task": "bookings.locations_purge", "schedule": 3600.0})
    client_handlers.register("location", location_socket_handler)
    gdpr_exporters.register("booking_locations", locations_export)
    gdpr_erasers.register("booking_locations", locations_erase)
