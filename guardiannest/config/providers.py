"""The outside services, each switched on by its own variables: email, SMS, push, sign-in, payments,
file scanning; and the outbox's retry lanes (messaging/services/delivery.py).

Star-imported by ``guardiannest.settings`` where the providers stand. Unset, each falls back to the
embedded default: messages written to ``var/outbox``, payments simulated, files not scanned.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from guardiannest.config.environment import VAR_DIR, env, secret
from guardiannest.config.workers import CELERY_TASK_TIME_LIMIT

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
