"""API exceptions that parsers, the idempotency wrapper and other early-loaded DRF pieces raise."""

from __future__ import annotations

from rest_framework import exceptions, status

from guardiannest.errors import ErrorCode


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class IdempotencyKeyReused(exceptions.APIException):
    """Same key, another request: 422, a status no domain refusal maps to (it is about the header, not the domain)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was used with another request."
    default_code = ErrorCode.IDEMPOTENCY_KEY_REUSED.value
