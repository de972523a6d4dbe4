from enum import StrEnum


class AccountError(StrEnum):
    EMAIL_TAKEN = "email_taken"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_TOKEN = "invalid_token"
    TOKEN_NOT_VALID = "token_not_valid"
    NO_ACTIVE_ACCOUNT = "no_active_account"
