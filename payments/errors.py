"""Error codes of the payments app: each one says what kind of refusal it is (guardiannest.errors)."""

from __future__ import annotations

from guardiannest.errors import ErrorCodes, Refusal


class PaymentError(ErrorCodes):
    NOT_A_PARENT = "not_a_parent", Refusal.FORBIDDEN
    NOT_A_SITTER = "not_a_sitter", Refusal.FORBIDDEN
    TRANSFER_NOT_FAILED = "transfer_not_failed"  # a retry of a transfer that did not fail
    NO_PAYMENT_METHOD = "no_payment_method"
    PAYMENT_EXISTS = "payment_exists"
    NOT_AUTHORISED = "payment_not_authorised"  # capture or release of a payment that holds no authorisation
    NOT_CAPTURED = "payment_not_captured"  # refund of a payment nothing was taken for
    CAPTURE_TOO_LARGE = "capture_exceeds_authorisation", Refusal.INVALID
    REFUND_TOO_LARGE = "refund_exceeds_captured", Refusal.INVALID
    AMOUNT_INVALID = "amount_invalid", Refusal.INVALID
    PROVIDER_REFUSED = "payment_provider_refused"  # the provider said no to a well-formed request
    PROVIDER_UNAVAILABLE = "payment_provider_unavailable", Refusal.UNAVAILABLE
    WEBHOOK_SIGNATURE_INVALID = "webhook_signature_invalid", Refusal.INVALID
