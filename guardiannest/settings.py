"""GuardianNest settings: the module Django loads, env-driven for every mode.

Read in parts: ``guardiannest.config.environment`` first (the modes, how
variables and secrets are read, where links point), then this module (the
platform: hosts, apps, database, Redis, API, static files, observability,
star-importing its parts where they stand: ``guardiannest.config.workers``
(Celery), ``identity`` (sign-in, tokens, passkeys), ``realtime``
(websockets) and ``providers`` (the outside services and the outbox lanes)),
then each app's own settings (``guardiannest.config.domains``, at the end).

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

# --- parts of the platform, each in its own module (guardiannest/config/) -------------------------
# identity: sign-in, lockouts, passwords, tokens, the authentication snapshot, email verification,
# password reset, passkeys; realtime: the websockets' limits; workers: Celery's broker and task limits.
from guardiannest.config.identity import *  # noqa: E402, F403
from guardiannest.config.realtime import *  # noqa: E402, F403
from guardiannest.config.workers import *  # noqa: E402, F403

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

# --- email, SMS, push, sign-in, payments, scanning; the outbox lanes (guardiannest/config/providers.py) ---
from guardiannest.config.providers import *  # noqa: E402, F403

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
