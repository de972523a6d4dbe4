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
    NOT_COMPLETED = "booking_not_completed"  # reviewed, or disputed, before the work is done
    NOT_THE_SITTER = "not_the_sitter", Refusal.FORBIDDEN
    NOT_REVIEWED = "booking_not_reviewed"  # a reply to a review not written yet
    NO_SHOW_TOO_EARLY = "no_show_too_early"
    DISPUTE_WINDOW_CLOSED = "dispute_window_closed"
    NOT_PAID = "booking_not_paid"  # a refund of a booking whose payment was never taken
    # A multi-sitter request another sitter accepted first: this sitter's copy was withdrawn.
    REQUEST_TAKEN = "request_taken"
    # Not one occurrence of a weekly series could be booked (each one's code is in ``errors``).
    SERIES_UNAVAILABLE = "series_unavailable"
    # A series occurrence whose wall-clock start does not exist that day in the sitter's zone (a DST gap).
    LOCAL_TIME_MISSING = "local_time_missing"


class TrackingError(ErrorCodes):
    """Live tracking and safety timers (bookings.tracking)."""

    # Locations are taken only while the booking is in progress.
    NOT_IN_PROGRESS = "booking_not_in_progress"
    # The parent can be overdue only once the booking's end has passed.
    NOT_ENDED = "booking_not_ended"
    TOO_MANY_LOCATIONS = "too_many_locations", Refusal.RATE_LIMITED
