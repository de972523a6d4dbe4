"""Error codes of the sitters app."""

from __future__ import annotations

from enum import StrEnum


class SitterError(StrEnum):
    NOT_A_SITTER = "not_a_sitter"
    SITTER_NOT_VERIFIED = "sitter_not_verified"
    SITTER_UNAVAILABLE = "sitter_unavailable"
    HOLD_OVERLAP = "hold_overlap"
    WINDOWS_OVERLAP = "availability_overlap"
    VERIFICATION_PENDING = "verification_pending"
    VERIFICATION_NOT_PENDING = "verification_not_pending"
    ALREADY_VERIFIED = "already_verified"
    DOCUMENT_INVALID = "document_invalid"
    CERTIFICATION_EXISTS = "certification_exists"
    PROFILE_INCOMPLETE = "profile_incomplete"
    REVIEW_EXISTS = "review_exists"
