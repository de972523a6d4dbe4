"""Error codes of the sitters app, and the one way its services refuse input."""

from __future__ import annotations

from enum import StrEnum

from rest_framework import status
from rest_framework.exceptions import ValidationError

from guardiannest.api.errors import ApplicationError, ErrorCode
from guardiannest.text import clean_text


class SitterError(StrEnum):
    NOT_A_SITTER = "not_a_sitter"
    SITTER_NOT_VERIFIED = "sitter_not_verified"
    SITTER_UNAVAILABLE = "sitter_unavailable"
    WINDOWS_OVERLAP = "availability_overlap"
    VERIFICATION_PENDING = "verification_pending"
    VERIFICATION_NOT_PENDING = "verification_not_pending"
    ALREADY_VERIFIED = "already_verified"
    DOCUMENT_INVALID = "document_invalid"
    CERTIFICATION_EXISTS = "certification_exists"
    PROFILE_INCOMPLETE = "profile_incomplete"
    REVIEW_EXISTS = "review_exists"


def invalid_fields(errors: dict[str, list[str]], code: str = ErrorCode.INVALID) -> ApplicationError:
    """A 400 naming each field: the services' answer to input the API layer could not judge alone."""
    detail = next(iter(errors.values()))[0] if len(errors) == 1 else "The request is invalid: see errors."
    return ApplicationError(code, detail, status=status.HTTP_400_BAD_REQUEST, errors=errors)


def invalid(field: str, message: str, code: str = ErrorCode.INVALID) -> ApplicationError:
    """A 400 naming one field."""
    return invalid_fields({field: [message]}, code)


def clean_text_field(field: str, value: str | None, *, max_length: int) -> str:
    """Free text as stored (:func:`guardiannest.text.clean_text`); what it refuses is a 400 naming ``field``."""
    try:
        return clean_text(value or "", max_length=max_length)
    except ValidationError as exc:
        raise invalid(field, str(exc.detail[0] if isinstance(exc.detail, list) else exc.detail)) from exc
