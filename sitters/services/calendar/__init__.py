"""The sitter's calendar: weekly windows, dated exceptions, materialised spans, holds.

One package, one import path (``sitters.services.calendar``); a module per
subdomain: ``materialise`` (pure local-time → UTC rules), ``availability``
(windows, exceptions, span rewrites), ``extend`` (the beat job's service),
``holds`` (busy periods bookings write and release).
"""

from sitters.services.calendar.availability import (
    MAX_EXCEPTIONS_PER_DAY,
    MAX_WINDOWS,
    availability_set,
    calendar_timezone_changed,
    exception_create,
    exception_delete,
    exception_update,
    local_today,
    spans_append,
    spans_rewrite,
    timezone_is_valid,
    timezone_validate,
    windows_validate,
)
from sitters.services.calendar.extend import ExtendResult, availability_extend_due, spans_delete_ended
from sitters.services.calendar.holds import (
    MAX_HOLD_LENGTH,
    hold_conflict_check,
    hold_delete_blocked,
    hold_move,
    hold_period_validate,
    hold_place,
    hold_release,
)
from sitters.services.calendar.materialise import DatedException, materialise

__all__ = [
    "MAX_EXCEPTIONS_PER_DAY",
    "MAX_HOLD_LENGTH",
    "MAX_WINDOWS",
    "DatedException",
    "ExtendResult",
    "availability_extend_due",
    "availability_set",
    "calendar_timezone_changed",
    "exception_create",
    "exception_delete",
    "exception_update",
    "hold_conflict_check",
    "hold_delete_blocked",
    "hold_move",
    "hold_period_validate",
    "hold_place",
    "hold_release",
    "local_today",
    "materialise",
    "spans_append",
    "spans_delete_ended",
    "spans_rewrite",
    "timezone_is_valid",
    "timezone_validate",
    "windows_validate",
]
