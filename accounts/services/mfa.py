"""Second factor: TOTP (``accounts.models.TOTPDevice``, a django-otp device) and single-use backup codes.

Three rules shape this module.

* A code is accepted once, also under concurrency. django-otp's
  ``verify_token`` reads ``last_t``, checks, then saves: two requests with one
  code can both pass. Here every check runs on a row locked with
  ``select_for_update`` inside a transaction, so the second waits, re-reads
  ``last_t`` (or ``used_at``) and fails.
* Failures are counted per account + client address by django-axes
  (``lockout_failure``), never per device alone: django-otp's own exponential
  device throttle would let anyone who knows the password lock the parent out
  of their own account from anywhere. That is why the TOTP check below reuses
  django-otp's algorithm (``django_otp.oath.TOTP``) and fields but not
  ``verify_token``, which bumps that throttle.
* A failure is recorded (audit event, lockout count) *after* the transaction
  that checked the code, so the refusal does not roll its own record back.

Sign-in with MFA is two steps: ``user_login`` sees ``User.mfa_enabled`` and calls
``mfa_challenge_issue`` instead of handing out tokens; ``user_login_mfa``
redeems the opaque, single-use, IP-bound ``mfa_token`` with a code.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from base64 import b32encode
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP

from accounts.errors import MfaError
from accounts.models import BackupCode, TOTPDevice, User
from accounts.services.lockout import lockout_clear, lockout_failure, lockout_guard
from accounts.services.mfa_changed import SignInChange, mfa_changed_notify
from accounts.services.sessions import session_start
from guardiannest.audit.services import audit_record
from guardiannest.client import Client
from guardiannest.crypto.blind_index import blind_index
from guardiannest.errors import ApplicationError, Refusal, invalid

ISSUER = "GuardianNest"
DEVICE_NAME = "authenticator"
METHODS = ("totp", "backup_code")
MFA_TOKEN_TTL_SECONDS = 300
# What secrets.token_urlsafe makes; anything else is not ours and never reaches the cache.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+")
_MFA_TOKEN_PREFIX = "mfatoken:"
_MFA_TOKEN_MAX_LENGTH = 128
_ACCOUNT_FAILURES_PREFIX = "mfa:account-failures:"

BACKUP_CODE_COUNT = 10
# No 0/o, 1/l/i: a code read off paper is typed back right.
BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
BACKUP_CODE_LENGTH = 10
_BACKUP_HASH_PURPOSE = "accounts.backupcode.code"

_TOTP_RE = re.compile(r"^\d{6}$")
_BACKUP_RE = re.compile(rf"^[{BACKUP_CODE_ALPHABET}]{{{BACKUP_CODE_LENGTH}}}$")
_SEPARATORS = re.compile(r"[\s-]+")

TOTP_CODE_HELP = "Enter the 6-digit code from your authenticator app."
ANY_CODE_HELP = "Enter the 6-digit code from your authenticator app or one of your backup codes."


# --- codes as typed ------------------------------------------------------------------------


def totp_code_clean(value: str) -> str | None:
    """``"123 456"`` → ``"123456"``; ``None`` when it is not six digits."""
    code = _SEPARATORS.sub("", value)
    return code if _TOTP_RE.match(code) else None


def mfa_code_clean(value: str) -> tuple[str, str] | None:
    """``(way, code)`` for a TOTP code or a backup code as typed; ``None`` for anything else."""
    if (code := totp_code_clean(value)) is not None:
        return "totp", code
    code = _SEPARATORS.sub("", value).lower()
    return ("backup_code", code) if _BACKUP_RE.match(code) else None


def _require_totp_code(value: str) -> str:
    code = totp_code_clean(value)
    if code is None:
        raise invalid("code", TOTP_CODE_HELP)
    return code


def _require_any_code(value: str) -> tuple[str, str]:
    cleaned = mfa_code_clean(value)
    if cleaned is None:
        raise invalid("code", ANY_CODE_HELP)
    return cleaned


# --- verification under row locks ---------------------------------------------------------


def _totp_accept(device: TOTPDevice, code: str) -> bool:
    """django-otp's TOTP check and replay rule on a device row the caller holds locked.

    Only a time step after ``last_t`` is accepted, so a code works once, and
    neither an older code nor the same one again passes afterwards.
    """
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(int(code), device.tolerance, device.last_t + 1):
        return False
    device.last_t = totp.t()
    if getattr(settings, "OTP_TOTP_SYNC", True):
        device.drift = totp.drift
    device.last_used_at = timezone.now()
    device.save(update_fields=["last_t", "drift", "last_used_at"])
    return True


def totp_verify(*, user: User, code: str, confirmed: bool = True) -> bool:
    """Does ``code`` match one of the user's devices now? Spends the time step if so."""
    return totp_verify_device(user=user, code=code, confirmed=confirmed) is not None


def totp_verify_device(*, user: User, code: str, confirmed: bool = True) -> TOTPDevice | None:
    """The device ``code`` matched, its time step spent under a row lock; ``None`` if none did."""
    with transaction.atomic():
        devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=confirmed).order_by("pk")
        return next((device for device in devices if _totp_accept(device, code)), None)


def _backup_hash(*, salt: str, user: User, code: str) -> str:
    return blind_index(f"{salt}:{user.pk}:{code}", purpose=_BACKUP_HASH_PURPOSE, normalize=None)


def backup_code_use(*, user: User, code: str) -> bool:
    """Spend one unused backup code; ``False`` when none matches (or it is already spent)."""
    with transaction.atomic():
        unused = BackupCode.objects.select_for_update().filter(user=user, used_at__isnull=True).order_by("pk")
        for row in unused:
            if hmac.compare_digest(row.code_hash, _backup_hash(salt=row.salt, user=user, code=code)):
                # The lock already serialises spenders; the condition makes a double spend impossible regardless.
                return BackupCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()) == 1
    return False


def _code_spend(*, user: User, way: str, code: str) -> bool:
    return totp_verify(user=user, code=code) if way == "totp" else backup_code_use(user=user, code=code)


def _backup_code_new() -> str:
    return "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))


def _backup_codes_replace(*, user: User) -> list[str]:
    """A fresh set of codes; the old set is deleted. Returns the codes as the user will see them."""
    BackupCode.objects.filter(user=user).delete()
    codes = [_backup_code_new() for _ in range(BACKUP_CODE_COUNT)]
    rows = []
    for code in codes:
        salt = secrets.token_hex(16)
        rows.append(BackupCode(user=user, salt=salt, code_hash=_backup_hash(salt=salt, user=user, code=code)))
    BackupCode.objects.bulk_create(rows)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _code_rejected(*, client: Client, user: User, way: str, actor: User | None, signing_in: bool) -> NoReturn:
    """Record a wrong code (audit + lockout count) and refuse. Call outside the checking transaction.

    On a settings screen a wrong code is bad input in the ``code`` field; at
    sign-in it is a failed sign-in.
    """
    with transaction.atomic():
        audit_record(action="auth.mfa_failed", actor=actor, target=user, data={"way": way})
    _account_failure_count(user)
    lockout_failure(client=client, email=user.email, way=way)  # raises account_locked on the failure that locks
    message = "The code is wrong, expired or already used."
    if signing_in:
        raise ApplicationError(MfaError.INVALID_CODE, message, refusal=Refusal.UNAUTHENTICATED)
    raise invalid("code", message, MfaError.INVALID_CODE)


# --- the per-account ceiling (all addresses together) ---------------------------------------


def _account_failures_key(user: User) -> str:
    return f"{_ACCOUNT_FAILURES_PREFIX}{user.pk}"


def _account_failure_count(user: User) -> None:
    """Count a wrong code against the account whatever the address; at the ceiling, tell the owner once.

    The lockout counts per account + address, so guesses spread over many
    addresses never lock; this count does. Reaching it pauses code sign-in
    (``mfa_guessing_guard``) until the owner resets the password.
    """
    key = _account_failures_key(user)
    window = int(settings.MFA_ACCOUNT_FAILURE_WINDOW.total_seconds())
    cache.add(key, 0, timeout=window)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, failures := 1, timeout=window)
    if failures == settings.MFA_ACCOUNT_FAILURE_LIMIT:
        with transaction.atomic():
            audit_record(action="auth.mfa_ceiling_reached", target=user, data={"failures": failures})
            mfa_changed_notify(user=user, change=SignInChange.MFA_GUESSING_STOPPED)


def mfa_guessing_guard(*, user: User) -> None:
    """Refuse code sign-in once the account's ceiling of wrong codes is reached: a password reset steps up."""
    failures = cache.get(_account_failures_key(user)) or 0
    if int(failures) >= settings.MFA_ACCOUNT_FAILURE_LIMIT:
        raise ApplicationError(
            MfaError.GUESSING_STOPPED,
            "Too many wrong codes were tried on this account. Reset your password from your email to sign in again.",
        )


def mfa_guessing_clear(*, user: User) -> None:
    """The owner proved the mailbox (password reset): code sign-in works again."""
    cache.delete(_account_failures_key(user))


def _lock_user(user: User) -> User:
    """Serialise MFA changes of one account (two setups, or confirm against disable)."""
    return User.objects.select_for_update().get(pk=user.pk)


# --- enrolment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    otpauth_uri: str
    qr_svg: str


def totp_secret(device: TOTPDevice) -> str:
    """The key as people type it into an app: base32, no padding."""
    return b32encode(device.bin_key).decode().rstrip("=")


def otpauth_uri(*, device: TOTPDevice, email: str) -> str:
    """The Key URI authenticator apps scan: ``otpauth://totp/GuardianNest:<email>?secret=…&issuer=GuardianNest``."""
    params = urlencode(
        {
            "secret": totp_secret(device),
            "issuer": ISSUER,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{quote(ISSUER)}:{quote(email)}?{params}"


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    return str(image.to_string(encoding="unicode"))


def mfa_totp_setup(*, user: User) -> TotpSetup:
    """Start enrolment: a new unconfirmed device replaces any earlier unconfirmed one.

    Nothing changes at sign-in until ``mfa_totp_confirm`` proves the app holds the secret.
    """
    with transaction.atomic():
        locked = _lock_user(user)
        if locked.mfa_enabled:
            raise ApplicationError(MfaError.ALREADY_ENABLED, "Two-step sign-in is already on; turn it off first.")
        TOTPDevice.objects.filter(user=locked, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=locked, name=DEVICE_NAME, confirmed=False)
        audit_record(action="mfa.setup_started", actor=locked, target=locked)
    uri = otpauth_uri(device=device, email=locked.email)
    return TotpSetup(secret=totp_secret(device), otpauth_uri=uri, qr_svg=qr_svg(uri))


def mfa_totp_enrol_by_operator(*, user: User) -> TotpSetup:
    """An operator with shell access gives an account (the first staff member) a confirmed authenticator.

    For ``manage.py totp_enrol``: the way in for a staff account that cannot
    reach the admin (it needs a one-time password) nor the API (staff tokens
    need a second factor) yet. The secret is shown once, to the operator, and
    is stored encrypted. Refused while MFA is on; audited, and the owner is
    told by email like any other enrolment.
    """
    with transaction.atomic():
        locked = _lock_user(user)
        if locked.mfa_enabled:
            raise ApplicationError(MfaError.ALREADY_ENABLED, "Two-step sign-in is already on; turn it off first.")
        TOTPDevice.objects.filter(user=locked, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=locked, name=DEVICE_NAME, confirmed=True)
        audit_record(action="mfa.enabled", target=locked, data={"method": "totp", "by": "operator"})
        mfa_changed_notify(user=locked, change=SignInChange.TOTP_ENABLED)
    uri = otpauth_uri(device=device, email=locked.email)
    return TotpSetup(secret=totp_secret(device), otpauth_uri=uri, qr_svg=qr_svg(uri))


def mfa_totp_confirm(*, client: Client, user: User, code: str) -> list[str]:
    """Turn MFA on with the first code from the app; returns the 10 backup codes, shown once."""
    code = _require_totp_code(code)
    lockout_guard(client=client, email=user.email)
    with transaction.atomic():
        locked = _lock_user(user)
        if locked.mfa_enabled:
            raise ApplicationError(MfaError.ALREADY_ENABLED, "Two-step sign-in is already on.")
        if not TOTPDevice.objects.filter(user=locked, confirmed=False).exists():
            raise ApplicationError(MfaError.SETUP_REQUIRED, "Start the set-up first.")
        if totp_verify(user=locked, code=code, confirmed=False):
            TOTPDevice.objects.filter(user=locked, confirmed=False).update(confirmed=True)
            codes = _backup_codes_replace(user=locked)
            audit_record(action="mfa.enabled", actor=locked, target=locked, data={"method": "totp"})
            mfa_changed_notify(user=locked, change=SignInChange.TOTP_ENABLED)
            return codes
    _code_rejected(client=client, user=user, way="totp", actor=user, signing_in=False)


def mfa_totp_disable(*, client: Client, user: User, password: str, code: str) -> None:
    """Turn MFA off: the password and a current code (TOTP, or a backup code for a lost phone)."""
    way, code = _require_any_code(code)
    lockout_guard(client=client, email=user.email)
    if not user.mfa_enabled:
        raise ApplicationError(MfaError.NOT_ENABLED, "Two-step sign-in is not on.")
    if not user.check_password(password):
        lockout_failure(client=client, email=user.email, way="password")
        raise invalid("password", "The password is wrong.", MfaError.INVALID_PASSWORD)
    with transaction.atomic():
        locked = _lock_user(user)
        if _code_spend(user=locked, way=way, code=code):
            TOTPDevice.objects.filter(user=locked).delete()
            BackupCode.objects.filter(user=locked).delete()
            audit_record(action="mfa.disabled", actor=locked, target=locked, data={"way": way})
            mfa_changed_notify(user=locked, change=SignInChange.TOTP_DISABLED)
            return
    _code_rejected(client=client, user=user, way=way, actor=user, signing_in=False)


def mfa_code_verify(*, client: Client, user: User, code: str) -> str:
    """Spend a TOTP or backup code of the user to prove them again (step-up); returns the way it matched.

    A wrong code is bad input in ``code``, audited and counted like any other.
    """
    way, code = _require_any_code(code)
    if user.mfa_enabled and _code_spend(user=user, way=way, code=code):
        return way
    _code_rejected(client=client, user=user, way=way, actor=user, signing_in=False)


def mfa_backup_codes_regenerate(*, client: Client, user: User, code: str) -> list[str]:
    """A new set of backup codes for a current TOTP code; every old code dies."""
    code = _require_totp_code(code)
    lockout_guard(client=client, email=user.email)
    with transaction.atomic():
        locked = _lock_user(user)
        if not locked.mfa_enabled:
            raise ApplicationError(MfaError.NOT_ENABLED, "Two-step sign-in is not on.")
        if totp_verify(user=locked, code=code):
            codes = _backup_codes_replace(user=locked)
            audit_record(action="mfa.backup_codes_regenerated", actor=locked, target=locked)
            mfa_changed_notify(user=locked, change=SignInChange.BACKUP_CODES_REGENERATED)
            return codes
    _code_rejected(client=client, user=user, way="totp", actor=user, signing_in=False)


# --- sign-in, second step ------------------------------------------------------------------


def mfa_challenge_issue(*, client: Client, user: User) -> dict[str, Any]:
    """The half-way answer to a right password: an opaque token, not a JWT, good for one ``login/mfa``.

    It lives in the cache for five minutes, names only the user and the
    address the password came from, and no authenticator accepts it.
    """
    token = secrets.token_urlsafe(32)
    cache.set(
        _MFA_TOKEN_PREFIX + token,
        {"user_id": str(user.pk), "ip": client.ip},
        timeout=MFA_TOKEN_TTL_SECONDS,
    )
    return {"mfa_required": True, "mfa_token": token, "methods": list(METHODS)}


def _challenge_redeem(*, client: Client, mfa_token: str) -> User:
    """The user the token was issued to, once, from the same address; ``invalid_mfa_token`` for anything else.

    Redeemed by deleting it: of two racing redemptions only the one whose
    delete removed the key goes on.
    """
    refused = ApplicationError(
        MfaError.INVALID_MFA_TOKEN, "The sign-in step has expired or was already used; sign in again."
    )
    if not mfa_token or len(mfa_token) > _MFA_TOKEN_MAX_LENGTH or not _TOKEN_SHAPE.fullmatch(mfa_token):
        raise refused
    key = _MFA_TOKEN_PREFIX + mfa_token
    entry = cache.get(key)
    if not isinstance(entry, dict) or not cache.delete(key):
        raise refused
    if entry.get("ip") != client.ip:
        raise refused
    user = User.objects.filter(pk=str(entry.get("user_id")), is_active=True).first()
    if user is None:
        raise refused
    return user


def user_login_mfa(*, client: Client, mfa_token: str, code: str) -> dict[str, str]:
    """Finish a sign-in with a TOTP or backup code; a session starts with method ``password+<way>``.

    The token is spent whatever happens next: a wrong code means signing in
    again with the password, so every guess costs a password check too.
    """
    from accounts.services.auth import tokens_for  # auth imports this module for user_login

    way, code = _require_any_code(code)
    user = _challenge_redeem(client=client, mfa_token=mfa_token)
    lockout_guard(client=client, email=user.email)
    mfa_guessing_guard(user=user)
    with transaction.atomic():
        if _code_spend(user=user, way=way, code=code):
            method = f"password+{way}"
            session = session_start(user=user, client=client, method=method)
            pair = tokens_for(user, session=session)
            audit_record(action="auth.login_succeeded", actor=user, target=user, data={"method": method})
            lockout_clear(client=client, email=user.email)
            return pair
    _code_rejected(client=client, user=user, way=way, actor=None, signing_in=True)
