"""Error codes of the messaging app, each with the kind of refusal it is (see :mod:`guardiannest.errors`)."""

from __future__ import annotations

from guardiannest.errors import ErrorCodes, Refusal


class ChatError(ErrorCodes):
    # Every refusal of a participant has the same words, whatever the reason: see services.conversations._pair_for.
    INVALID_PARTICIPANT = "invalid_participant", Refusal.INVALID
    UNKNOWN_ATTACHMENT = "unknown_attachment", Refusal.INVALID
    UNKNOWN_MESSAGE = "unknown_message", Refusal.INVALID
    PARTICIPANT_UNAVAILABLE = "participant_unavailable"  # the other account closed: a conflict, not bad input


class NotificationError(ErrorCodes):
    CANNOT_DISABLE = "cannot_disable", Refusal.INVALID
    INVALID_TOKEN = "invalid_token", Refusal.INVALID


class PhoneError(ErrorCodes):
    INVALID_CODE = "invalid_code", Refusal.INVALID
    CODE_EXPIRED = "code_expired"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    NO_PENDING_VERIFICATION = "no_pending_verification"
    EMAIL_NOT_VERIFIED = "email_not_verified", Refusal.FORBIDDEN  # no SMS before the email is proven
    COUNTRY_NOT_SUPPORTED = "country_not_supported", Refusal.INVALID  # outside SMS_ALLOWED_COUNTRIES
