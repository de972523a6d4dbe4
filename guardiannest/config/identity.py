"""Who signs in, and how: backends, lockouts, passwords, tokens, the authentication snapshot, email
verification, password reset and passkeys.

Star-imported by ``guardiannest.settings`` where the auth settings stand.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from guardiannest.config.environment import DEV_DEFAULTS, _duration, env, secret

# --- sign-in, lockouts, passwords, tokens -------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account+address before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Brute-force protection on every way in (password, MFA and backup codes, Firebase,
# reset, admin): failures are counted per account + client address, so an attacker
# can neither guess on forever nor lock a parent out from elsewhere.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT: int = env.int("LOCKOUT_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOCKOUT_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Wrong second-factor codes per account from all addresses together (a botnet spreads its guesses); at the ceiling
# the owner is told and code sign-in pauses until a password reset (accounts.services.mfa).
MFA_ACCOUNT_FAILURE_LIMIT: int = env.int("MFA_ACCOUNT_FAILURE_LIMIT", default=20)
MFA_ACCOUNT_FAILURE_WINDOW = timedelta(hours=env.int("MFA_ACCOUNT_FAILURE_WINDOW_HOURS", default=24))
AXES_CLIENT_IP_CALLABLE = "guardiannest.api.net.client_ip"
AXES_USERNAME_CALLABLE = "accounts.api.lockout.username_from_credentials"
AXES_LOCKOUT_CALLABLE = "accounts.api.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["password", "code", "otp_token", "id_token", "token"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

JWT_SECRET = secret("JWT_SECRET", dev_default="dev-insecure-jwt-secret-for-the-embedded-default-only")
if not DEV_DEFAULTS and len(JWT_SECRET) < 32:
    raise ImproperlyConfigured("JWT_SECRET must be at least 32 characters.")
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": _duration(env.str("JWT_EXPIRES_IN", default="15m")),
    "REFRESH_TOKEN_LIFETIME": _duration(env.str("JWT_REFRESH_EXPIRES_IN", default="14d")),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "AUDIENCE": env.str("JWT_AUDIENCE", default="guardiannest-api"),
    "ISSUER": env.str("JWT_ISSUER", default="guardiannest"),
    "LEEWAY": 5,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
}

# Seconds a signed-in session's authentication answer is kept in Redis (accounts/auth_snapshot.py); 0: never.
# Any change to the user, their sessions or second factors makes it stale at once; this bounds the one gap
# (a change made while Redis was unreachable).
AUTH_SNAPSHOT_TTL: int = env.int("AUTH_SNAPSHOT_TTL", default=60)

# --- email verification and password reset ---------------------------------------------

EMAIL_VERIFICATION_TTL: int = env.int("EMAIL_VERIFICATION_TTL", default=3 * 24 * 3600)  # seconds
# Short: a reset link in a mailbox is a key to the account for as long as it lives.
PASSWORD_RESET_TTL: int = env.int("PASSWORD_RESET_TTL", default=3600)  # seconds

# --- passkeys (WebAuthn) -------------------------------------------------------------

# The RP ID is the site's domain, bound into every passkey: changing it orphans them all.
WEBAUTHN_RP_ID: str = env.str("WEBAUTHN_RP_ID", default="localhost")
WEBAUTHN_RP_NAME: str = env.str("WEBAUTHN_RP_NAME", default="GuardianNest")
# Exact origins (scheme://host[:port]) a ceremony may come from. Unset: https://<RP ID>, plus,
# in DEBUG or embedded mode with the RP ID "localhost", any http://localhost:<port>
# (accounts.services.passkeys applies that rule; it is never a wildcard in production).
WEBAUTHN_ORIGINS: list[str] = env.list("WEBAUTHN_ORIGINS", default=[])
WEBAUTHN_CHALLENGE_TTL: int = env.int("WEBAUTHN_CHALLENGE_TTL", default=300)  # seconds; single use
