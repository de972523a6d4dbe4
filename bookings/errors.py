"""Error codes of the bookings app: each one says what kind of refusal it is (``guardiannest.errors``)."""

from __future__ import annotations

from guardiannest.errors import ErrorCodes, Refusal


class BookingError(ErrorCodes):
    NOT_A_PARENT = "not_a_parent", Refusal.FORBIDDEN
    # Another held booking (or time the sitter blocked) shares some of this period.
    OVERLAP = "booking_overlap"
    OUTSIDE_SERVICE_AREA = "outside_service_area"
    FAMILY_LOCATION_MISSING = "family_location_missing"
    # The transitions table (bookings.transitions) has no such move from the booking's state, or not for this party.
    TRANSITION_NOT_ALLOWED = "transition_not_allowed"
    CHECK_IN_TOO_EARLY = "check_in_too_early"
    CHECK_IN_TOO_LATE = "check_in_too_late"
    HOURS_NOT_PENDING = "hours_not_pending"


class TrackingError(ErrorCodes):
    """Live tracking and safety timers (bookings.tracking)."""

    # Locations are taken only while the booking is in progress.
    NOT_IN_PROGRESS = "booking_not_in_progress"
    # The booking is the caller's, but only its sitter shares a location or says the parent is late.
    NOT_THE_SITTER = "not_the_sitter", Refusal.FORBIDDEN
    # The parent can be overdue only once the booking's end has passed.
    NOT_ENDED = "booking_not_ended"
    TOO_MANY_LOCATIONS = "too_many_locations", Refusal.RATE_LIMITED
