"""Each app's own settings: files, sitters, payments, bookings, emergencies, live tracking and safety timers.

Star-imported at the end of ``guardiannest.settings`` (Django reads them there); read with the same
helpers as the rest (``guardiannest.config.environment``).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

from guardiannest.config.environment import DEBUG, EMBEDDED, FRONTEND_URL, env

# --- files: uploads (files/) -------------------------------------------------------------------
# With no scanner (CLAMAV_URL unset) files are "not_scanned", never clean; whether they are served
# anyway is this switch: yes in the embedded default and DEBUG, no in production unless set.
FILES_SERVE_UNSCANNED: bool = env.bool("FILES_SERVE_UNSCANNED", default=DEBUG or EMBEDDED)
# Public variants (avatars and their thumbnails) from this domain, e.g. a CDN in front of the bucket.
FILES_CDN_DOMAIN: str = env.str("FILES_CDN_DOMAIN", default="")
FILES_URL_TTL: int = env.int("FILES_URL_TTL", default=300)  # seconds a signed link lives; capped at 600
FILES_MAX_PIXELS: int = env.int("FILES_MAX_PIXELS", default=50_000_000)  # refused before decoding
FILES_UPLOAD_RATE: str = env.str("FILES_UPLOAD_RATE", default="120/hour")  # uploads per user
# Multipart file parts over this spill from memory to a temporary file while being received.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- sitters: profiles, calendar, search (sitters/) ----------------------------------------------
# The calendar's covering indexes (INCLUDE ends_at, for search's index-only probes) are PostgreSQL's;
# SQLite (the embedded default) builds them without the included column, which is only slower.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
# The currency every price on the platform is in (Money: {"amount": minor units, "currency"}).
PLATFORM_CURRENCY: str = env.str("PLATFORM_CURRENCY", default="eur").lower()
# Availability is turned into UTC spans this many days ahead; search cannot ask past it.
SITTER_AVAILABILITY_HORIZON_DAYS: int = env.int("SITTER_AVAILABILITY_HORIZON_DAYS", default=60)
# Seconds a cached public profile / search result lives (every change invalidates it sooner).
SITTER_PROFILE_CACHE_TTL: int = env.int("SITTER_PROFILE_CACHE_TTL", default=300)
SITTER_SEARCH_CACHE_TTL: int = env.int("SITTER_SEARCH_CACHE_TTL", default=60)
# Who runs identity and background checks ("manual": staff decide from the admin queue).
SITTER_IDENTITY_PROVIDER: str = env.str("SITTER_IDENTITY_PROVIDER", default="manual")
SITTER_BACKGROUND_PROVIDER: str = env.str("SITTER_BACKGROUND_PROVIDER", default="manual")
# Days before a certification expires that its holder is reminded.
CERTIFICATION_REMINDER_DAYS: int = env.int("CERTIFICATION_REMINDER_DAYS", default=30)

# --- payments (payments/) -----------------------------------------------------------------------
# STRIPE_SECRET_KEY (above) switches Stripe on; unset, the simulated provider serves with the same
# states, and every parent has a test card. STRIPE_API_BASE points the client at a stand-in (tests).
# The share of each capture the platform keeps, in percent (0-100); the sitter is owed the rest.
PLATFORM_FEE_PERCENT: Decimal = Decimal(env.str("PLATFORM_FEE_PERCENT", default="15"))
if not Decimal(0) <= PLATFORM_FEE_PERCENT <= Decimal(100):
    raise ImproperlyConfigured("PLATFORM_FEE_PERCENT must be between 0 and 100.")
# Seconds one Stripe call may take, and how often the SDK retries a network failure (same idempotency key).
STRIPE_TIMEOUT: float = env.float("STRIPE_TIMEOUT", default=10.0)
STRIPE_MAX_NETWORK_RETRIES: int = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# Stripe Connect onboarding (sitter payouts): where Stripe sends the sitter back when the onboarding
# link has expired (refresh: the app asks POST payments/payouts/onboarding again) and when they are done.
STRIPE_CONNECT_REFRESH_URL: str = env.str(
    "STRIPE_CONNECT_REFRESH_URL", default=f"{FRONTEND_URL}/payouts/onboarding/refresh"
)
STRIPE_CONNECT_RETURN_URL: str = env.str("STRIPE_CONNECT_RETURN_URL", default=f"{FRONTEND_URL}/payouts/onboarding/done")
# Reconciliation (manage.py payments_reconcile, nightly at PAYMENTS_RECONCILE_HOUR UTC) looks at payments
# changed in the last PAYMENTS_RECONCILE_DAYS days.
PAYMENTS_RECONCILE_DAYS: int = env.int("PAYMENTS_RECONCILE_DAYS", default=3)
PAYMENTS_RECONCILE_HOUR: int = env.int("PAYMENTS_RECONCILE_HOUR", default=3)
# Stripe drops an uncaptured authorisation after 7 days: one older than this is renewed (or the
# booking is told), checked every PAYMENTS_REAUTHORISE_EVERY_SECONDS.
PAYMENTS_REAUTHORISE_AFTER_HOURS: int = env.int("PAYMENTS_REAUTHORISE_AFTER_HOURS", default=6 * 24)
PAYMENTS_REAUTHORISE_EVERY_SECONDS: int = env.int("PAYMENTS_REAUTHORISE_EVERY_SECONDS", default=15 * 60)
# How long an emailed receipt link (signed, no sign-in needed) opens the receipt.
PAYMENTS_RECEIPT_LINK_DAYS: int = env.int("PAYMENTS_RECEIPT_LINK_DAYS", default=365)

# --- bookings (bookings/) -----------------------------------------------------------------------
# What GET config tells the apps, and what the booking services apply (bookings/policy.py).
BOOKING_MIN_MINUTES: int = env.int("BOOKING_MIN_MINUTES", default=60)
# An unanswered request expires after this long; one starting within BOOKING_LAST_MINUTE_HOURS sooner.
BOOKING_REQUEST_EXPIRY_MINUTES: int = env.int("BOOKING_REQUEST_EXPIRY_MINUTES", default=24 * 60)
BOOKING_LAST_MINUTE_HOURS: int = env.int("BOOKING_LAST_MINUTE_HOURS", default=24)
BOOKING_LAST_MINUTE_EXPIRY_MINUTES: int = env.int("BOOKING_LAST_MINUTE_EXPIRY_MINUTES", default=60)
# A parent's cancellation: the first tier whose hours_before_start the cancellation is at least
# that far ahead of the start sets the fee (a share of the price). A sitter's cancellation is free.
BOOKING_CANCELLATION_POLICY: tuple[dict[str, int], ...] = (
    {"hours_before_start": 24, "fee_percent": 0},
    {"hours_before_start": 2, "fee_percent": env.int("BOOKING_LATE_CANCELLATION_FEE_PERCENT", default=50)},
    {"hours_before_start": 0, "fee_percent": 100},
)
# Check-in opens this many minutes before the start; farther than this from the family's home is flagged.
BOOKING_CHECK_IN_OPENS_MINUTES: int = env.int("BOOKING_CHECK_IN_OPENS_MINUTES", default=30)
BOOKING_CHECK_IN_FLAG_KM: float = env.float("BOOKING_CHECK_IN_FLAG_KM", default=1.0)
# A sitter not checked in this long after the start may be reported a no-show (by the parent or staff).
BOOKING_NO_SHOW_GRACE_MINUTES: int = env.int("BOOKING_NO_SHOW_GRACE_MINUTES", default=30)
# After check-out the parent confirms the hours or disputes them within this many hours.
BOOKING_DISPUTE_WINDOW_HOURS: int = env.int("BOOKING_DISPUTE_WINDOW_HOURS", default=48)
# The sitter sees the family's address and the children's health notes from this long before the start
# until the end of a confirmed or in-progress booking (every read audited on the family's trail).
BOOKING_FAMILY_DATA_HOURS_BEFORE: int = env.int("BOOKING_FAMILY_DATA_HOURS_BEFORE", default=2)
# Those reads are audited once per this many minutes per sitter, booking and item (address, each child),
# with the running count of reads: an app polling the booking does not fill the trail. 0: every read.
FAMILY_READ_AUDIT_MINUTES: int = env.int("FAMILY_READ_AUDIT_MINUTES", default=15)
# Overtime beyond the authorisation is a second payment; a failed one is tried again (beat) this many times in
# all, first after BOOKING_OVERTIME_RETRY_SECONDS, doubling up to BOOKING_OVERTIME_RETRY_MAX_SECONDS; then the
# parent is told and staff see it failed (admin: Overtime charges).
BOOKING_OVERTIME_MAX_ATTEMPTS: int = env.int("BOOKING_OVERTIME_MAX_ATTEMPTS", default=5)
BOOKING_OVERTIME_RETRY_SECONDS: int = env.int("BOOKING_OVERTIME_RETRY_SECONDS", default=15 * 60)
BOOKING_OVERTIME_RETRY_MAX_SECONDS: int = env.int("BOOKING_OVERTIME_RETRY_MAX_SECONDS", default=6 * 3600)
# How many sitters one request may go to at once (API.md: 2-5); the first to accept wins.
BOOKING_REQUEST_MAX_SITTERS = 5

# --- emergencies (emergencies/) -----------------------------------------------------------------
# A second SOS from the same signed-in device within this many seconds answers the first alert (200).
EMERGENCY_DEDUPE_SECONDS: int = env.int("EMERGENCY_DEDUPE_SECONDS", default=120)
# The escalation ladder (emergencies/ladder.py): seconds between rungs while nobody acknowledges,
# and how many escalations at most (the ladder repeats its rungs until then).
EMERGENCY_ESCALATION_SECONDS: int = env.int("EMERGENCY_ESCALATION_SECONDS", default=60)
EMERGENCY_ESCALATION_MAX_STEPS: int = env.int("EMERGENCY_ESCALATION_MAX_STEPS", default=30)
# A safety timer's alert (a missed check-in, a parent overdue) waits this long after the first fan-out before
# its first escalation (a panic SOS: EMERGENCY_ESCALATION_SECONDS): a late sitter or parent has time to answer.
EMERGENCY_TIMER_FIRST_STEP_SECONDS: int = env.int("EMERGENCY_TIMER_FIRST_STEP_SECONDS", default=300)
# Staff on call: active staff in this group (Django auth group); every active staff member when it is empty.
EMERGENCY_ON_CALL_GROUP: str = env.str("EMERGENCY_ON_CALL_GROUP", default="On call")
# Beat re-drives due steps whose task was lost this often (seconds).
EMERGENCY_REDRIVE_SECONDS: float = env.float("EMERGENCY_REDRIVE_SECONDS", default=15.0)

# --- live tracking and safety timers (bookings/tracking/) -------------------------------------

# A sitter's live locations: at most LOCATION_RATE_LIMIT per LOCATION_RATE_WINDOW seconds (socket and HTTP
# together; the excess is dropped and counted), at most LOCATION_BATCH_MAX in one POST.
LOCATION_RATE_LIMIT: int = env.int("LOCATION_RATE_LIMIT", default=60)
LOCATION_RATE_WINDOW: int = env.int("LOCATION_RATE_WINDOW", default=10)
LOCATION_BATCH_MAX: int = env.int("LOCATION_BATCH_MAX", default=60)
# A fix may be this far ahead of the server's clock (phones drift), and at most this old when it arrives.
LOCATION_FUTURE_SKEW_SECONDS: int = env.int("LOCATION_FUTURE_SKEW_SECONDS", default=30)
LOCATION_MAX_AGE_HOURS: int = env.int("LOCATION_MAX_AGE_HOURS", default=24)
# Locations are deleted this many days after their booking ended (beat job, in batches).
LOCATION_RETENTION_DAYS: int = env.int("LOCATION_RETENTION_DAYS", default=30)
# A confirmed booking with no check-in this many minutes after its start alerts the parent, the sitter and staff.
SAFETY_CHECK_IN_GRACE_MINUTES: int = env.int("SAFETY_CHECK_IN_GRACE_MINUTES", default=15)
