"""Error codes of the analytics app (``guardiannest.errors``)."""

from __future__ import annotations

from guardiannest.errors import ErrorCodes, Refusal


class AnalyticsError(ErrorCodes):
    # A period asked for the wrong way round, too long, or an interval the figure has no meaning for.
    INVALID_PERIOD = "invalid_period", Refusal.INVALID
