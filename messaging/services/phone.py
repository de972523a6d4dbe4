"""Phone verification by SMS one-time code.

``phone_verification_start`` sends a 6-digit code to a number; the user proves
the number is theirs with ``phone_verification_confirm``, which then becomes
their account's phone. The rules, each because of a cost or an attack:

* The code is stored only as a password hash (``make_password``): a database
  dump does not hand out codes still in their 10 minutes.
* Five wrong codes and that code is dead; only the user's latest code counts,
  so asking for a new one ends the old one. With the per-account limit of the
  ``sms`` throttle scope this bounds guesses per account and per hour.
* SMS cost money and can be aimed at someone else's phone: besides the
  per-account ``sms`` scope on the API, each number has its own counter in the
  cache with the same rate, whatever account asks. Past it the answer is 429
  and the provider is never called.
* SMS pumping (bots sending codes to premium numbers for a share of the fee)
  is bounded whatever the number of accounts: only an account with a verified
  email may ask, only destinations in ``SMS_ALLOWED_COUNTRIES`` are texted, and
  a global and a per-country budget (``SMS_BUDGET_*``) cap the spend; a budget
  that stops a send is counted in ``guardiannest_sms_budget_exhausted_total``.
* The SMS goes to the provider straight after commit, not through the
  notification outbox: an outbox row would keep the readable code at rest.
  A failed send is logged and leaves the row to expire; the person asks again.

Whether the account's phone is verified is read from these rows
(:func:`phone_verified_at`): a verification counts only while the account's
phone is still the number verified, so changing the phone elsewhere undoes it.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from prometheus_client import Counter

from accounts.models import User
from accounts.services.auth import user_phone_set
from guardiannest.audit.services import audit_record
from guardiannest.crypto.blind_index import blind_index
from guardiannest.errors import ApplicationError, ErrorCode, invalid
from messaging.errors import PhoneError
from messaging.models import PhoneVerification
from messaging.providers.base import DeliveryError, SmsMessage
from messaging.providers.registry import sms_provider

logger = structlog.get_logger("messaging.phone")

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = PhoneVerification.MAX_ATTEMPTS
THROTTLE_SCOPE = "sms"  # the per-number counter uses the rate of the API's per-account scope
DEFAULT_RATE = "5/hour"
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

BUDGET_EXHAUSTED = Counter(
    "guardiannest_sms_budget_exhausted_total",
    "SMS codes not sent because a spending budget was used up, by budget and destination country code.",
    ["budget", "country"],
)


@dataclass(frozen=True)
class PhoneVerificationStarted:
    phone: str
    expires_at: datetime


def _parse_rate(rate: str) -> tuple[int, int]:
    """(SMS allowed, per seconds) from a throttle-style rate: ``5/hour``, ``10/15m`` …"""
    match = _RATE.match(rate) or _RATE.match(DEFAULT_RATE)
    assert match is not None
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _PERIODS[unit]


def _rate() -> tuple[int, int]:
    """The per-number rate: the rate of the API's ``sms`` throttle scope."""
    return _parse_rate(
        str(settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(THROTTLE_SCOPE) or DEFAULT_RATE)
    )


def _spend(key: str, rate: tuple[int, int]) -> int | None:
    """Count one SMS against ``key`` in the current window; the seconds to wait once the window is full.

    ``add`` then ``incr`` are each atomic on Redis, so racing requests cannot
    both take the last slot.
    """
    allowed, period = rate
    now = time.time()
    window = int(now // period) * period
    window_key = f"{key}:{window}"
    cache.add(window_key, 0, timeout=period + 1)
    try:
        count = cache.incr(window_key)
    except ValueError:  # expired between add and incr
        cache.add(window_key, 1, timeout=period + 1)
        count = 1
    return max(1, int(window + period - now + 0.999)) if count > allowed else None


def _spend_number_budget(phone: str) -> None:
    """One SMS to ``phone``; 429 once the number has had its window's worth (the key holds a keyed hash)."""
    wait = _spend(f"sms-number:{blind_index(phone, purpose='messaging.sms.number')}", _rate())
    if wait is not None:
        raise ApplicationError(
            ErrorCode.THROTTLED, "Too many codes were sent to this number: try again later.", retry_after=wait
        )


def destination_country(phone: str) -> str:
    """The allowed country calling code ``phone`` (E.164) belongs to; refused outside the allowlist."""
    digits = phone.removeprefix("+")
    matches = [code for code in settings.SMS_ALLOWED_COUNTRIES if code and digits.startswith(code)]
    if not matches:
        raise invalid("phone", "We cannot send text messages to this country.", PhoneError.COUNTRY_NOT_SUPPORTED)
    return max(matches, key=len)


def _spend_platform_budgets(country: str) -> None:
    """One SMS against this country's budget and the global one; 429 (and a metric) when either is spent."""
    country_rate = settings.SMS_BUDGET_COUNTRIES.get(country) or settings.SMS_BUDGET_PER_COUNTRY
    for budget, key, rate in (
        ("country", f"sms-budget:country:{country}", country_rate),
        ("global", "sms-budget:global", settings.SMS_BUDGET_GLOBAL),
    ):
        wait = _spend(key, _parse_rate(str(rate)))
        if wait is not None:
            BUDGET_EXHAUSTED.labels(budget=budget, country=country).inc()
            logger.warning("sms_budget_exhausted", budget=budget, country=country)
            raise ApplicationError(
                ErrorCode.THROTTLED, "We cannot send more codes right now: try again later.", retry_after=wait
            )


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _send(*, verification_id: str, phone: str, code: str) -> None:
    """After commit: hand the code to the SMS provider. A failure is logged, never raised."""
    body = gettext("Your GuardianNest code is %(code)s. It expires in %(minutes)d minutes. Never share it.") % {
        "code": code,
        "minutes": int(CODE_TTL.total_seconds() // 60),
    }
    try:
        result = sms_provider().send_sms(
            SmsMessage(to=phone, body=body), idempotency_key=f"phone-verification:{verification_id}"
        )
    except DeliveryError as exc:
        logger.warning(
            "phone_code_not_sent",
            verification=verification_id,
            failure=type(exc).__name__,
            code=exc.provider_code,
        )
        return
    logger.info("phone_code_sent", verification=verification_id, provider=result.provider)


def phone_verification_start(*, user: User, phone: str) -> PhoneVerificationStarted:
    """Send a new code to ``phone`` (E.164, already validated); the user's earlier codes stop counting.

    Refuses an account whose email is not verified (403) and a destination
    outside ``SMS_ALLOWED_COUNTRIES`` (400); raises 429 when the number, its
    country or the platform has had its SMS for the window. The per-account
    limit is the API's ``sms`` throttle scope.
    """
    if user.email_verified_at is None:
        raise ApplicationError(PhoneError.EMAIL_NOT_VERIFIED, "Verify your email address before adding a phone.")
    country = destination_country(phone)
    _spend_number_budget(phone)
    _spend_platform_budgets(country)
    code = _new_code()
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one start or confirm per account at a time
        verification = PhoneVerification.objects.create(
            user=user, phone=phone, code_hash=make_password(code), created_at=now, expires_at=now + CODE_TTL
        )
        audit_record(action="phone.verification_requested", actor=user, target=verification)
        verification_id = str(verification.pk)
        transaction.on_commit(lambda: _send(verification_id=verification_id, phone=phone, code=code))
    return PhoneVerificationStarted(phone=phone, expires_at=verification.expires_at)


def _refuse(code: PhoneError) -> ApplicationError:
    if code is PhoneError.INVALID_CODE:
        message = "The code is not right."
        return invalid("code", message, code)
    detail = {
        PhoneError.CODE_EXPIRED: "The code has expired: ask for a new one.",
        PhoneError.TOO_MANY_ATTEMPTS: "Too many wrong codes: ask for a new one.",
        PhoneError.NO_PENDING_VERIFICATION: "No code is waiting to be confirmed: ask for one first.",
    }[code]
    return ApplicationError(code, detail)


def phone_verification_confirm(*, user: User, code: str) -> PhoneVerification:
    """Check ``code`` against the user's latest code; on success the number becomes the account's phone.

    A wrong code is counted even though the call fails: the count is
    committed before the error is raised, so failing cannot undo it.
    """
    refusal: PhoneError | None = None
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        verification = PhoneVerification.objects.select_for_update().filter(user=user).order_by("-created_at").first()
        now = timezone.now()
        if verification is None or verification.verified_at is not None:
            refusal = PhoneError.NO_PENDING_VERIFICATION
        elif verification.attempts >= MAX_ATTEMPTS:
            refusal = PhoneError.TOO_MANY_ATTEMPTS
        elif verification.expires_at <= now:
            refusal = PhoneError.CODE_EXPIRED
        elif not check_password(code, verification.code_hash):
            verification.attempts += 1
            verification.save(update_fields=["attempts"])
            refusal = PhoneError.INVALID_CODE
            audit_record(
                action="phone.verification_failed",
                actor=user,
                target=verification,
                data={"attempts": verification.attempts},
            )
        else:
            verification.verified_at = now
            verification.save(update_fields=["verified_at"])
            user_phone_set(user=locked, phone=verification.phone, actor=user)
            audit_record(action="phone.verified", actor=user, target=verification)
    if refusal is not None:
        raise _refuse(refusal)
    assert verification is not None
    return verification


def phone_verified_at(*, user: User) -> datetime | None:
    """When the account's current phone was proven by SMS; None when it never was (or has changed since)."""
    if not user.phone:
        return None
    return (
        PhoneVerification.objects.filter(user=user, phone=user.phone, verified_at__isnull=False)
        .order_by("-verified_at")
        .values_list("verified_at", flat=True)
        .first()
    )


def phone_verifications_erase(user: User) -> None:
    """GDPR erasure: the numbers this account ever tried to verify go with it."""
    PhoneVerification.objects.filter(user=user).delete()
