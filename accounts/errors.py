"""Every code accounts refuses with, one enum per subdomain, each code with the kind of refusal it is.

Services and selectors raise :class:`guardiannest.errors.ApplicationError` with
one of these; the API turns the refusal into a status (guardiannest/api/errors.py).
A code whose refusal depends on where it is met says so next to it.
"""

from __future__ import annotations

from guardiannest.errors import ErrorCodes, Refusal


class AccountError(ErrorCodes):
    """Sign-up, password sign-in, tokens, emailed links and the lockout."""

    INVALID_CREDENTIALS = "invalid_credentials", Refusal.UNAUTHENTICATED
    # A link's token (verification, reset) or the refresh token sent to log out: bad input either way.
    INVALID_TOKEN = "invalid_token", Refusal.INVALID
    TOKEN_NOT_VALID = "token_not_valid", Refusal.UNAUTHENTICATED
    NO_ACTIVE_ACCOUNT = "no_active_account", Refusal.UNAUTHENTICATED
    # Too many failures from one address against one account (django-axes); ``retry_after`` says when.
    ACCOUNT_LOCKED = "account_locked", Refusal.RATE_LIMITED
    # Changing a way to sign in (passkey, Firebase link, authenticator) needs a verified email and a fresh proof.
    EMAIL_UNVERIFIED = "email_unverified", Refusal.FORBIDDEN
    STEP_UP_REQUIRED = "step_up_required", Refusal.FORBIDDEN
    # A staff account signing in without a second factor: it must enrol an authenticator first.
    STAFF_MFA_REQUIRED = "staff_mfa_required", Refusal.FORBIDDEN
    # A role change staff may not make this way (to or from staff, or granting staff without being a superuser).
    ROLE_NOT_ALLOWED = "role_not_allowed", Refusal.FORBIDDEN


class MfaError(ErrorCodes):
    """The second factor: enrolment, backup codes and the second step of sign-in."""

    # Bad input on the settings screen; a failed sign-in at ``auth/login/mfa`` (raised there as UNAUTHENTICATED).
    INVALID_CODE = "invalid_code", Refusal.INVALID
    INVALID_MFA_TOKEN = "invalid_mfa_token", Refusal.UNAUTHENTICATED
    INVALID_PASSWORD = "invalid_password", Refusal.INVALID
    ALREADY_ENABLED = "mfa_already_enabled"
    NOT_ENABLED = "mfa_not_enabled"
    SETUP_REQUIRED = "mfa_setup_required"
    # The account's ceiling of wrong codes from all addresses was reached; a password reset lifts it.
    GUESSING_STOPPED = "mfa_guessing_stopped", Refusal.FORBIDDEN


class PasskeyError(ErrorCodes):
    CHALLENGE_INVALID = "passkey_challenge_invalid", Refusal.INVALID
    VERIFICATION_FAILED = "passkey_verification_failed", Refusal.INVALID
    ALREADY_REGISTERED = "passkey_already_registered"


class FirebaseSignInError(ErrorCodes):
    """Firebase sign-in and linking.

    A token that does not prove its holder is a failed sign-in; when a signed-in
    user links one it is bad input (raised there as INVALID).
    """

    TOKEN_INVALID = "firebase_token_invalid", Refusal.UNAUTHENTICATED
    TOKEN_EXPIRED = "firebase_token_expired", Refusal.UNAUTHENTICATED
    TOKEN_REVOKED = "firebase_token_revoked", Refusal.UNAUTHENTICATED
    USER_DISABLED = "firebase_user_disabled", Refusal.UNAUTHENTICATED
    LINK_UNTRUSTED = "firebase_link_untrusted", Refusal.UNAUTHENTICATED
    EMAIL_REQUIRED = "firebase_email_required", Refusal.INVALID
    EMAIL_UNVERIFIED = "firebase_email_unverified", Refusal.INVALID
    ACCOUNT_EXISTS = "account_exists"
    ALREADY_LINKED = "firebase_already_linked"
    PROVIDER_NOT_ALLOWED = "firebase_provider_not_allowed", Refusal.INVALID
    UNAVAILABLE = "firebase_unavailable", Refusal.UNAVAILABLE  # configured, but Google cannot be reached or used
    NOT_ENABLED = "firebase_not_enabled", Refusal.FORBIDDEN  # switched off here (no FIREBASE_PROJECT_ID)


class FamilyError(ErrorCodes):
    NOT_A_PARENT = "not_a_parent", Refusal.FORBIDDEN
    PRIORITY_TAKEN = "priority_taken"
    TOO_MANY_CHILDREN = "too_many_children"
    # Declared as sitters declares it (the caller is not a sitter); a favourite naming a non-sitter is bad input,
    # raised through invalid(), which makes any code an INVALID refusal naming the field.
    NOT_A_SITTER = "not_a_sitter", Refusal.FORBIDDEN


class GdprError(ErrorCodes):
    EXPORT_IN_PROGRESS = "export_in_progress"
    EXPORT_LINK_INVALID = "export_link_invalid", Refusal.FORBIDDEN
    EXPORT_LINK_EXPIRED = "export_link_expired", Refusal.FORBIDDEN
