"""The one way the domain says no: :class:`ApplicationError`, carrying a code and, on bad input, fields.

Services and selectors speak the domain, not HTTP. Each error code is declared
once, in its app's ``errors.py``, as a member of an :class:`ErrorCodes` enum that
names what kind of refusal it is (:class:`Refusal`). The API turns a refusal
into a status in one place, :data:`guardiannest.api.errors.STATUS_BY_REFUSAL`;
nothing else in the domain knows a status code.

    class BookingError(ErrorCodes):
        OVERLAP = "booking_overlap"                                # a conflict (the default)
        NOT_A_PARENT = "not_a_parent", Refusal.FORBIDDEN

    raise ApplicationError(BookingError.OVERLAP, "The sitter is already booked then.")
    raise invalid("starts_at", "Start in the future.")             # bad input, naming the field
"""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    """What kind of "no" an error is. The API maps each to one HTTP status."""

    INVALID = "invalid"  # the input is wrong; ``errors`` names the fields
    UNAUTHENTICATED = "unauthenticated"  # who you are could not be established (credentials, tokens)
    FORBIDDEN = "forbidden"  # you are known, and may not do this
    NOT_FOUND = "not_found"  # no such thing, or not yours: the two look alike on purpose
    CONFLICT = "conflict"  # the state of things does not allow it now
    UNPROCESSABLE = "unprocessable"  # well-formed, but contradicts what came before (an idempotency key reused)
    TOO_LARGE = "too_large"  # the content is bigger than allowed
    UNSUPPORTED = "unsupported"  # the content is of a type we do not take
    RATE_LIMITED = "rate_limited"  # too many attempts; ``retry_after`` says when to come back
    UNAVAILABLE = "unavailable"  # something we depend on is off or down; try later


class ErrorCodes(StrEnum):
    """Base of every app's error-code enum: a member is its code, with the kind of refusal it is.

    A member written as a plain string is a :attr:`Refusal.CONFLICT`; write
    ``NAME = "code", Refusal.X`` for any other kind.
    """

    refusal: Refusal

    def __new__(cls, value: str, refusal: Refusal = Refusal.CONFLICT) -> ErrorCodes:
        member = str.__new__(cls, value)
        member._value_ = value
        member.refusal = refusal
        return member


class ErrorCode(ErrorCodes):
    """Codes of the platform itself; each app adds its own enum (``BookingError`` …)."""

    INVALID = "invalid", Refusal.INVALID
    PARSE_ERROR = "parse_error", Refusal.INVALID
    NOT_AUTHENTICATED = "not_authenticated", Refusal.UNAUTHENTICATED
    AUTHENTICATION_FAILED = "authentication_failed", Refusal.UNAUTHENTICATED
    PERMISSION_DENIED = "permission_denied", Refusal.FORBIDDEN
    NOT_FOUND = "not_found", Refusal.NOT_FOUND
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", Refusal.UNSUPPORTED
    REQUEST_TOO_LARGE = "request_too_large", Refusal.TOO_LARGE
    THROTTLED = "throttled", Refusal.RATE_LIMITED
    CONFLICT = "conflict"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused", Refusal.UNPROCESSABLE
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    BAD_REQUEST = "bad_request", Refusal.INVALID
    SERVICE_UNAVAILABLE = "service_unavailable", Refusal.UNAVAILABLE
    SERVER_ERROR = "server_error"


class ApplicationError(Exception):
    """A rule said no. Raised by services and selectors; the API answers it in the error shape.

    ``refusal`` comes from the code's declaration; pass it only where one code
    means two things by context (a wrong one-time code is bad input on a
    settings screen, a failed sign-in at login).
    """

    def __init__(
        self,
        code: ErrorCodes,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        retry_after: int | None = None,
        refusal: Refusal | None = None,
    ) -> None:
        if not isinstance(code, ErrorCodes):
            raise TypeError(f"error codes are declared in an ErrorCodes enum, not given as {code!r}")
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.errors = errors
        self.retry_after = retry_after
        self.refusal = refusal or code.refusal

    def __repr__(self) -> str:
        return f"ApplicationError({str(self.code)!r}, {self.detail!r}, refusal={str(self.refusal)!r})"


def invalid_fields(errors: dict[str, list[str]], code: ErrorCodes = ErrorCode.INVALID) -> ApplicationError:
    """Bad input, naming each field; the detail is the one message when there is one."""
    detail = next(iter(errors.values()))[0] if len(errors) == 1 else "The request is invalid: see errors."
    return ApplicationError(code, detail, errors=errors, refusal=Refusal.INVALID)


def invalid(field: str, message: str, code: ErrorCodes = ErrorCode.INVALID) -> ApplicationError:
    """Bad input in one field."""
    return invalid_fields({field: [message]}, code)


def not_found(detail: str = "Not found.") -> ApplicationError:
    """No such thing, or not the caller's: selectors answer both alike."""
    return ApplicationError(ErrorCode.NOT_FOUND, detail)
