"""What bookings' ready() wires for live tracking and safety timers: kinds, beat jobs, routes, the socket handler."""

from __future__ import annotations


def ready() -> None:
    from bookings.tracking import tasks  # noqa: F401  (workers register the tasks)
    from bookings.tracking.consumers import location_socket_handler
    from bookings.tracking.services import locations_erase, locations_export
    from guardiannest.realtime.handlers import client_handlers
    from guardiannest.registries import QUEUE_CRITICAL, beat_entries, gdpr_erasers, gdpr_exporters, task_routes
    from messaging.kinds import Category, Channel, Kind, register

    # A safety alert is an emergency: every channel, never switched off, a phone woken, the critical queue.
    every = frozenset({Channel.EMAIL, Channel.PUSH, Channel.SMS})
    needs = ("booking_id", "sitter_name", "parent_name", "starts_at", "ends_at")
    for name in ("booking.check_in_missed", "booking.parent_overdue"):
        register(Kind(name, Category.EMERGENCY, every, needs, ("booking_id",), priority="high", queue=QUEUE_CRITICAL))
    task_routes.register("bookings.safety_check_in_missed_alert_due", QUEUE_CRITICAL)
    beat_entries.register(
        "bookings-safety-check-in-missed",
        {"task": "bookings.safety_check_in_missed_alert_due", "schedule": 60.0},
    )
    beat_entries.register("bookings-locations-purge", {"task": "bookings.locations_purge", "schedule": 3600.0})
    client_handlers.register("location", location_socket_handler)
    gdpr_exporters.register("booking_locations", locations_export)
    gdpr_erasers.register("booking_locations", locations_erase)
