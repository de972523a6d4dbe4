"""Error codes of the sitters app, each with the kind of refusal it is (``guardiannest.errors``).

Services and selectors raise :class:`~guardiannest.errors.ApplicationError`
with one of these codes, or bad input through ``guardiannest.errors.invalid``;
the API alone turns the refusal into a status.
"""

from __future__ import annotations

from guardiannest import text
from guardiannest.errors import ErrorCodes, Refusal


class SitterError(ErrorCodes):
    NOT_A_SITTER = "not_a_sitter", Refusal.FORBIDDEN
    SITTER_NOT_VERIFIED = "sitter_not_verified"
    SITTER_UNAVAILABLE = "sitter_unavailable"
    # Windows (or exceptions of one date) that overlap: bad input, naming the windows.
    WINDOWS_OVERLAP = "availability_overlap", Refusal.INVALID
    VERIFICATION_PENDING = "verification_pending"
    VERIFICATION_NOT_PENDING = "verification_not_pending"
    ALREADY_VERIFIED = "already_verified"
    # A document that cannot back what it is given for (not the sitter's, not ready, rejected).
    DOCUMENT_INVALID = "document_invalid", Refusal.INVALID
    CERTIFICATION_EXISTS = "certification_exists"
    DOCUMENT_IN_USE = "document_in_use"  # one document backs one certification
    PROFILE_INCOMPLETE = "profile_incomplete"
    REVIEW_EXISTS = "review_exists"
    REVIEW_REPLY_EXISTS = "review_reply_exists"  # the sitter answers a review once
    REQUIRED = "required", Refusal.INVALID


def clean_text_field(field: str, value: str | None, *, max_length: int) -> str:
    """Free text as stored (:func:`guardiannest.text.clean_text`); what it refuses is bad input naming ``field``."""
    return text.clean_text(value or "", max_length=max_length, field=field)
