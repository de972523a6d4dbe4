"""ASGI entry point of bench/realtime.py: the production stack, plus a location rule for the bench.

Bookings own the rule of who may see a booking's live location, and do not
exist yet; for the socket-to-socket figure the bench registers its own rule
through the same registry bookings will use: a "booking id" names the user
who sees the location.
"""

from __future__ import annotations

from guardiannest.asgi import application

try:
    from guardiannest.realtime.groups import user_group
    from guardiannest.realtime.handlers import client_handlers, location_handler
except ImportError:  # a tree without client handlers (the comparison with main): fan-out only
    pass
else:

    def _audience(user_id: str, booking_id: str) -> list[str]:
        return [user_group(booking_id)]

    # bookings registers the real handler (stores every fix; bench/gps.py measures it): this bench relays only.
    client_handlers.unregister("location")
    client_handlers.register("location", location_handler(_audience))

__all__ = ["application"]
