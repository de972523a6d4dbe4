"""Error codes of the emergencies app: each one says what kind of refusal it is (``guardiannest.errors``)."""

from __future__ import annotations

from guardiannest.errors import ErrorCodes, Refusal


class EmergencyError(ErrorCodes):
    # Only parents and sitters raise an SOS (staff answer them).
    NOT_A_PARTY = "not_a_party", Refusal.FORBIDDEN
