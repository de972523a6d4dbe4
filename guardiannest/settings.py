"""GuardianNest settings: the module Django loads, env-driven for every mode.

Read in parts: ``guardiannest.config.environment`` first (the modes, how
variables and secrets are read, where links point), then this module (the
platform: hosts, apps, database, Redis, Celery, auth, API, static files,
providers, observability), then each app's own settings
(``guardiannest.config.domains``, star-imported at the end).

With nothing set, the platform runs in its *embedded default*: SQLite under
``var/``, local-memory cache, in-memory channel layer, an in-process Celery
worker and beat, local files and email/SMS/push written to ``var/outbox``.
Setting an integration's variables switches that integration to the real
service. DEBUG is off unless asked for. Once a server database is configured
a missing secret stops start-up and names the variable. Any secret may also be
read from ``<NAME>_FILE`` (Docker secrets).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# Read first (guardiannest/config/environment.py); Django and the apps read the mode flags from here too.
from guardiannest.config.environment import (  # noqa: F401  (settings Django reads: DEBUG, EMBEDDED, FRONTEND_URL...)
    BASE_DIR,
    DEBUG,
    DEV_DEFAULTS,
    EMBEDDED,
    FRONTEND_URL,
    FRONTEND_URL_SET,
    REDIS_URL,
    TESTING,
    VAR_DIR,
    _duration,
    env,
    secret,
)

SECRET_KEY = secret("SECRET_KEY", dev_default="dev-insecure-secret-key-for-the-embedded-default-only")

# --- hosts, proxies, HTTPS ---------------------------------------------------

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEV_DEFAULTS else []
)
if not DEV_DEFAULTS and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

# Only behind a proxy that overwrites X-Forwarded-Proto may we trust it.
TRUSTED_PROXY: bool = env.bool("TRUSTED_PROXY", default=False)
# How many proxies append to X-Forwarded-For; 0 means the header is ignored.
TRUSTED_PROXY_COUNT: int = env.int("TRUSTED_PROXY_COUNT", default=1 if TRUSTED_PROXY else 0)
# The peers those proxies connect from (addresses or networks; "*" = any peer, as in compose where
# web and realtime publish no port). A forwarded header from any other peer is ignored. This is the
# one rule for the client address: no server we start rewrites it (guardiannest.api.net.client_ip).
TRUSTED_PROXY_IPS: list[str] = env.list("FORWARDED_ALLOW_IPS", default=["*"])
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)

SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=not DEV_DEFAULTS)
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0 if DEV_DEFAULTS else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEV_DEFAULTS
SECURE_HSTS_PRELOAD: bool = env.bool("SECURE_HSTS_PRELOAD", default=not DEV_DEFAULTS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEV_DEFAULTS
CSRF_COOKIE_SECURE = not DEV_DEFAULTS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600  # admin sessions: a working day
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
for _origin in CSRF_TRUSTED_ORIGINS:
    if not re.match(r"^https?://", _origin):
        raise ImproperlyConfigured(f"CSRF_TRUSTED_ORIGINS entries need a scheme: {_origin!r}")

CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOWED_ORIGIN_REGEXES: list[str] = (
    [r"^http://localhost(:\d+)?$", r"^http://127\.0\.0\.1(:\d+)?$"] if DEV_DEFAULTS else []
)
CORS_URLS_REGEX = r"^/(api|health)/.*$"
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After", "ETag"]
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-none-match",
    "x-request-id",
]

# --- applications ------------------------------------------------------------

INSTALLED_APPS = [
    "accounts.apps.BackOfficeAdminConfig",  # django.contrib.admin, with the OTP site as admin.site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "channels",
    "django_otp",
    "axes",
    "waffle",
    "guardiannest",
    "guardiannest.api",
    "guardiannest.audit",
    "guardiannest.crypto",
    "guardiannest.realtime",
    "accounts",
    "feedback",
    "files",
    "messaging",
    "sitters",
    "bookings",
    "payments",
    "emergencies",
    "analytics",  # reads every app above, imported by none
]

MIDDLEWARE = [
    "guardiannest.middleware.RequestIdMiddleware",
    "guardiannest.middleware.TrailingSlashMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    # Sessions, session users and flash messages only off the JSON API (guardiannest.middleware).
    "guardiannest.middleware.BrowserSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "guardiannest.middleware.BrowserAuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "guardiannest.middleware.BrowserMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "guardiannest.middleware.HtmlCSPMiddleware",
    "guardiannest.middleware.PrivateResponseMiddleware",
    "guardiannest.middleware.ResponseTimeMiddleware",
    "guardiannest.middleware.MetricsMiddleware",  # django-prometheus' After middleware, the metrics dashboards read
    # Inside every header-setting middleware: an unmatched path's 404 is problem+json, DEBUG or not.
    "guardiannest.middleware.UnmatchedPathMiddleware",
    # Last: turns a lockout raised by the admin login into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "guardiannest.urls"
WSGI_APPLICATION = "guardiannest.wsgi.application"
ASGI_APPLICATION = "guardiannest.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ------------------------------------------------------------------


def _database() -> dict[str, Any]:
    if os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_URL_FILE"):
        config: dict[str, Any] = env.db_url_config(secret("DATABASE_URL"))
    elif os.environ.get("DB_HOST"):
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": env.str("DB_HOST"),
            "PORT": env.int("DB_PORT", default=5432),
            "USER": env.str("DB_USERNAME", default="postgres"),
            "PASSWORD": secret("DB_PASSWORD", required=False),
            "NAME": env.str("DB_NAME", default="guardiannest"),
        }
    else:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            # WAL lets the in-process worker read while a request writes.
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"},
        }
    return _server_database(config)


def _server_database(config: dict[str, Any]) -> dict[str, Any]:
    """A server database's connection options: a timeout, and a connection pool unless DATABASE_POOL is off."""
    if config["ENGINE"] == "django.db.backends.postgresql":
        options = config.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", 5)
        if env.bool("DATABASE_POOL", default=True):
            # psycopg 3 pool: one per process; CONN_MAX_AGE must stay 0 with it.
            options["pool"] = {
                "min_size": env.int("DATABASE_POOL_MIN", default=1),
                "max_size": env.int("DATABASE_POOL_MAX", default=8),
                "timeout": 10,
            }
            # Django's cursors bind client-side and never prepare; the few hot statements run on a server-binding
            # cursor (guardiannest/prepared.py) are prepared on first use, once per pooled connection.
            options.setdefault("prepare_threshold", 0)
        else:
            config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
            config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database()}
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# A read replica (streaming replication of the primary): reads that may lag a few seconds (analytics)
# go there through guardiannest.dbrouters; writes never do. Unset: everything on the primary.
_REPLICA_URL = secret("DATABASE_REPLICA_URL", required=False)
if _REPLICA_URL:
    DATABASES["replica"] = _server_database(env.db_url_config(_REPLICA_URL))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # a test run reads its own rows back
DATABASE_ROUTERS: list[str] = ["guardiannest.dbrouters.ReplicaRouter"] if _REPLICA_URL else []

# --- Redis: cache, channel layer, broker (REDIS_URL, EMBEDDED: guardiannest/config/environment.py) -----


CACHE_KEY_PREFIX: str = env.str("CACHE_KEY_PREFIX", default="gn")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "guardiannest.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    # Redis pub/sub: one PUBLISH per event whatever the group's size; chosen by measurement (bench/README.md).
    CHANNEL_LAYERS: dict[str, Any] = {
        "default": {
            "BACKEND": "guardiannest.realtime.layers.RedisPubSubLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{CACHE_KEY_PREFIX}:asgi"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "guardiannest"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "guardiannest.realtime.layers.EmbeddedChannelLayer"}}

# --- Celery --------------------------------------------------------------------

CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND: str | None = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TIMEZONE = "UTC"
# Run the in-process worker and beat (embedded default only; see guardiannest/embedded.py).
CELERY_EMBEDDED = CELERY_BROKER_URL.startswith("memory://")
CELERY_VISIBILITY_TIMEOUT = 3600
CELERY_TASK_TIME_LIMIT = 300  # well under the visibility timeout: a task never runs twice for being slow
CELERY_TASK_SOFT_TIME_LIMIT = 240

# --- auth ------------------------------------------------------------------------

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

# --- realtime (websockets) ---------------------------------------------------------------

REALTIME_TICKET_TTL = 30  # seconds; a websocket ticket is single use
# Open sockets one user may hold at once, over every realtime process (a phone, a tablet, a few tabs).
REALTIME_SOCKETS_PER_USER: int = env.int("REALTIME_SOCKETS_PER_USER", default=10)
# Envelopes waiting for one socket; a client that falls this far behind is closed (it catches up on reconnect).
REALTIME_SEND_QUEUE: int = env.int("REALTIME_SEND_QUEUE", default=256)
# Seconds without any frame from the client (apps ping every 30 s) before the socket is closed.
REALTIME_HEARTBEAT_TIMEOUT: float = env.float("REALTIME_HEARTBEAT_TIMEOUT", default=75)
# Seconds between re-checks of each socket's session and user (ended, deactivated, demoted) in the database.
REALTIME_SESSION_RECHECK: float = env.float("REALTIME_SESSION_RECHECK", default=30)
# Seconds of events kept per group for a reconnecting client (``?since=``).
REALTIME_REPLAY_WINDOW: int = env.int("REALTIME_REPLAY_WINDOW", default=300)
# Client frames: the largest accepted (bytes), and a token bucket per socket (frames per second, burst).
REALTIME_MAX_FRAME: int = env.int("REALTIME_MAX_FRAME", default=16_384)
REALTIME_CLIENT_RATE: float = env.float("REALTIME_CLIENT_RATE", default=10)
REALTIME_CLIENT_BURST: int = env.int("REALTIME_CLIENT_BURST", default=30)

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

# --- field encryption --------------------------------------------------------------

# "kid:base64(32 bytes)" entries, comma separated; the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEYS = secret(
    "FIELD_ENCRYPTION_KEYS",
    dev_default="dev1:ZGV2LWluc2VjdXJlLWtleS0zMi1ieXRlcy1sb25nISE=",
)
BLIND_INDEX_KEY = secret("BLIND_INDEX_KEY", dev_default="dev-insecure-blind-index-key")

# --- DRF and the API -----------------------------------------------------------------

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["guardiannest.api.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["guardiannest.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "guardiannest.api.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "guardiannest.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "guardiannest.api.errors.exception_handler",
    # The per-user (or per-address) budget and the view's scope, counted in one Redis round trip.
    "DEFAULT_THROTTLE_CLASSES": ["guardiannest.api.throttling.RequestThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("THROTTLE_USER", default="600/min"),
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
        "register": env.str("THROTTLE_REGISTER", default="10/hour"),
        "ticket": env.str("THROTTLE_TICKET", default="60/min"),
        "otp": env.str("THROTTLE_OTP", default="10/min"),
        "reset": env.str("THROTTLE_RESET", default="5/hour"),
        "sms": env.str("THROTTLE_SMS", default="5/hour"),
        "chat": env.str("THROTTLE_CHAT", default="30/min"),
        "feedback": env.str("THROTTLE_FEEDBACK", default="20/hour"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT if TRUSTED_PROXY else 0,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "GuardianNest API",
    "DESCRIPTION": "The REST API the GuardianNest parent and sitter apps are written against.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.models.Role.choices",
        "SelfServiceRoleEnum": [("parent", "Parent"), ("sitter", "Sitter")],
        "FileStatusEnum": "files.models.FileStatus.choices",
        "SitterCheckKindEnum": "sitters.models.CheckKind.choices",
        "CertificationKindEnum": "sitters.models.CertificationKind.choices",
        "BookingStatusEnum": "bookings.models.BookingStatus.choices",
        "EmergencyStatusEnum": "emergencies.models.EmergencyStatus.choices",
        "EmergencyKindEnum": "emergencies.models.EmergencyKind.choices",
        "FeedbackKindEnum": "feedback.models.FeedbackKind.choices",
        "FeedbackStatusEnum": "feedback.models.FeedbackStatus.choices",
        "FeatureRequestStatusEnum": "feedback.models.FeatureRequestStatus.choices",
        "SurveyQuestionKindEnum": "feedback.models.QuestionKind.choices",
        "SurveyAudienceEnum": "feedback.models.Audience.choices",
    },
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "guardiannest.api.schema.add_problem_responses",
        "guardiannest.api.schema.bound_page_size",
    ],
}

# With Redis unreachable these throttles refuse (503 + Retry-After) instead of letting calls through
# uncounted: they guard passwords, one-time codes and paid messages (guardiannest.api.throttling).
THROTTLE_FAIL_CLOSED_SCOPES: frozenset[str] = frozenset({"login", "register", "otp", "reset", "sms"})
THROTTLE_UNAVAILABLE_RETRY_AFTER = 30  # seconds

IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
IDEMPOTENCY_WAIT_SECONDS = 10.0  # a concurrent duplicate waits this long for the first answer

# --- content security policy (HTML pages: admin, docs) ---------------------------------

CONTENT_SECURITY_POLICY = {
    # JSON answers render nothing; the policy guards the HTML pages (admin, docs).
    "EXCLUDE_URL_PREFIXES": ["/api/v1", "/health", "/metrics"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Swagger UI and the admin set inline styles.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- static and media files --------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from here once collected
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

AWS_STORAGE_BUCKET_NAME: str = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_ACCESS_KEY_ID = secret("AWS_ACCESS_KEY_ID", required=False) or None
    AWS_SECRET_ACCESS_KEY = secret("AWS_SECRET_ACCESS_KEY", required=False) or None
    AWS_S3_REGION_NAME: str | None = env.str("AWS_S3_REGION_NAME", default="") or None
    AWS_S3_ENDPOINT_URL: str | None = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_CUSTOM_DOMAIN: str | None = env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_QUERYSTRING_EXPIRE = 600
    AWS_S3_FILE_OVERWRITE = False
    AWS_S3_SIGNATURE_VERSION = "s3v4"  # presigned links signed with SigV4 (SigV2 is being retired)
    DEFAULT_STORAGE: dict[str, Any] = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEV_DEFAULTS and not TESTING
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# The embedded default serves static files (admin, Swagger UI) from the apps, collected or not.
WHITENOISE_USE_FINDERS = DEV_DEFAULTS

# --- email, SMS, push, payments: each switched on by its own variables ------------------

DEFAULT_FROM_EMAIL: str = env.str("SMTP_FROM", default="GuardianNest <no-reply@guardiannest.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMTP_HOST: str = env.str("SMTP_HOST", default="")
if SMTP_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = SMTP_HOST
    EMAIL_PORT: int = env.int("SMTP_PORT", default=587)
    EMAIL_HOST_USER: str = env.str("SMTP_USER", default="")
    EMAIL_HOST_PASSWORD = secret("SMTP_PASSWORD", required=bool(EMAIL_HOST_USER))
    EMAIL_USE_TLS: bool = env.bool("SMTP_USE_TLS", default=EMAIL_PORT == 587)
    EMAIL_USE_SSL: bool = env.bool("SMTP_USE_SSL", default=EMAIL_PORT == 465)
    EMAIL_TIMEOUT = 10
else:
    # Embedded default: every message is written to var/outbox, one file each.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "outbox" / "email")

OUTBOX_DIR = VAR_DIR / "outbox"

TWILIO_ACCOUNT_SID: str = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = secret("TWILIO_AUTH_TOKEN", required=bool(TWILIO_ACCOUNT_SID)) if TWILIO_ACCOUNT_SID else ""
TWILIO_FROM_NUMBER: str = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_API_BASE: str = env.str("TWILIO_API_BASE", default="")  # tests point this at a loopback server
# The public URL of POST /api/v1/messaging/twilio/status, exactly as Twilio calls it: delivery
# reports are asked for at this URL and their X-Twilio-Signature is checked against it (behind a
# proxy the URL Django sees differs). Empty: no status reports are asked for, and any that come are refused.
TWILIO_STATUS_CALLBACK_URL: str = env.str("TWILIO_STATUS_CALLBACK_URL", default="")
# --- the outbox's retries and re-drive (messaging/services/delivery.py) -------------------------
# Two lanes: every notification kind, and the critical lane of kinds delivered from the critical
# queue (emergencies), whose waits are short. Backoff: seconds to wait after the 1st, 2nd ... failed
# attempt (the last repeats, as a cap; up to 10 % jitter is added). A row fails for good after the
# lane's attempts. The lease: a row still `sending` this long after its claim lost its worker and is
# re-driven; the provider is asked first whether it already took the message (Twilio's Messages list),
# so the lease must outlast one provider call (10 s timeouts) and the critical one is kept >= 20 s.
# The grace: a row due this long whose task never ran is enqueued again.


def _seconds_list(name: str, default: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in env.str(name, default=default).split(",") if part.strip())
    except ValueError:
        values = ()
    if not values or min(values) < 0:
        raise ImproperlyConfigured(f"{name}: a comma-separated list of seconds, e.g. {default}")
    return values


MESSAGING_RETRY_BACKOFF_SECONDS: tuple[int, ...] = _seconds_list("MESSAGING_RETRY_BACKOFF_SECONDS", "30,120,600,3600")
MESSAGING_MAX_ATTEMPTS: int = env.int("MESSAGING_MAX_ATTEMPTS", default=8)
MESSAGING_SEND_LEASE_SECONDS: int = env.int("MESSAGING_SEND_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
MESSAGING_REDRIVE_GRACE_SECONDS: int = env.int("MESSAGING_REDRIVE_GRACE_SECONDS", default=120)
MESSAGING_CRITICAL_RETRY_BACKOFF_SECONDS: tuple[int, ...] = _seconds_list(
    "MESSAGING_CRITICAL_RETRY_BACKOFF_SECONDS", "2,5,10,30,60"
)
MESSAGING_CRITICAL_MAX_ATTEMPTS: int = env.int("MESSAGING_CRITICAL_MAX_ATTEMPTS", default=20)
MESSAGING_CRITICAL_SEND_LEASE_SECONDS: int = env.int("MESSAGING_CRITICAL_SEND_LEASE_SECONDS", default=30)
MESSAGING_CRITICAL_REDRIVE_GRACE_SECONDS: int = env.int("MESSAGING_CRITICAL_REDRIVE_GRACE_SECONDS", default=10)
# Beat runs the critical lane's re-drive this often (seconds); the other lane's every minute.
MESSAGING_CRITICAL_REDRIVE_SECONDS: float = env.float("MESSAGING_CRITICAL_REDRIVE_SECONDS", default=10.0)
if min(MESSAGING_SEND_LEASE_SECONDS, MESSAGING_CRITICAL_SEND_LEASE_SECONDS) < 20:
    raise ImproperlyConfigured("MESSAGING_*SEND_LEASE_SECONDS: at least 20 (two provider timeouts)")
if min(MESSAGING_MAX_ATTEMPTS, MESSAGING_CRITICAL_MAX_ATTEMPTS) < 1:
    raise ImproperlyConfigured("MESSAGING_*MAX_ATTEMPTS: at least 1")

# SMS pumping (messaging/services/phone.py): codes go only to these destinations, given as E.164
# country calling codes, longest match wins ("49" Germany, "1" North America, "1876" Jamaica alone).
# The default is the EU/EEA, the UK, Switzerland and the US/Canada.
SMS_ALLOWED_COUNTRIES: list[str] = [
    code.strip()
    for code in env.str(
        "SMS_ALLOWED_COUNTRIES",
        default="49,43,41,33,31,32,352,44,353,45,46,47,358,354,34,351,39,356,30,357,48,420,421,36,40,359,385,386,370,371,372,1",
    ).split(",")
    if code.strip()
]
# Spending ceilings on SMS codes, whoever asks: all destinations together, and each country
# (SMS_BUDGET_COUNTRIES overrides one country: "49=500/hour,1=50/hour"). Past one the answer is 429,
# the provider is not called, and guardiannest_sms_budget_exhausted_total counts it.
SMS_BUDGET_GLOBAL: str = env.str("SMS_BUDGET_GLOBAL", default="1000/hour")
SMS_BUDGET_PER_COUNTRY: str = env.str("SMS_BUDGET_PER_COUNTRY", default="200/hour")
SMS_BUDGET_COUNTRIES: dict[str, str] = env.dict("SMS_BUDGET_COUNTRIES", default={})

FIREBASE_PROJECT_ID: str = env.str("FIREBASE_PROJECT_ID", default="")
FIREBASE_CREDENTIALS: str = env.str("FIREBASE_CREDENTIALS", default="")  # path to a service-account JSON
# Sign-in endpoints, empty = Google's; tests point them at a loopback server.
FIREBASE_CERTS_URL: str = env.str("FIREBASE_CERTS_URL", default="")  # ID-token signing certificates (JSON kid → PEM)
FIREBASE_AUTH_API_BASE: str = env.str("FIREBASE_AUTH_API_BASE", default="")  # Identity Toolkit v1 base URL
FIREBASE_FCM_API_BASE: str = env.str("FIREBASE_FCM_API_BASE", default="")  # FCM HTTP v1 base URL; empty = Google's

STRIPE_SECRET_KEY = secret("STRIPE_SECRET_KEY", required=False)
STRIPE_PUBLISHABLE_KEY: str = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = secret("STRIPE_WEBHOOK_SECRET", required=bool(STRIPE_SECRET_KEY)) if STRIPE_SECRET_KEY else ""
STRIPE_API_BASE: str = env.str("STRIPE_API_BASE", default="")
# The signing secret of a Connect webhook endpoint (account.updated), when it differs from the above.
STRIPE_CONNECT_WEBHOOK_SECRET = secret("STRIPE_CONNECT_WEBHOOK_SECRET", required=False)

CLAMAV_URL: str = env.str("CLAMAV_URL", default="")  # tcp://host:port or unix:///path

# --- feature flags (guardiannest/flags.py) ---------------------------------------------------
# django-waffle: staff switch flags in the admin (Waffle: Flags, Switches). A flag with no row yet
# answers the default named in guardiannest/flags.py; `migrate` creates the rows.
WAFFLE_FLAG_DEFAULT = False
WAFFLE_SWITCH_DEFAULT = False

# --- observability -------------------------------------------------------------------------

METRICS_TOKEN = secret("METRICS_TOKEN", required=False)
PROMETHEUS_EXPORT_MIGRATIONS = False
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT: str = env.str("LOG_FORMAT", default="console" if DEV_DEFAULTS else "json")
SENTRY_DSN = secret("SENTRY_DSN", required=False)
if SENTRY_DSN:
    from guardiannest.observability import sentry_init

    # Errors only by default; personal data is scrubbed from every event (guardiannest/observability.py).
    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

from guardiannest.logging import build_logging_config  # noqa: E402

LOGGING = build_logging_config(level=LOG_LEVEL, fmt=LOG_FORMAT)

# --- i18n ----------------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 1 * 1024 * 1024  # JSON bodies; files have their own limits
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
CSRF_FAILURE_VIEW = "guardiannest.api.errors.csrf_failure"

# --- each app's own settings: files, sitters, payments, bookings, emergencies, live tracking -------------
from guardiannest.config.domains import *  # noqa: E402, F403
