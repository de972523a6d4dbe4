"""Step-up: a fresh proof before anyone changes the ways into an account.

A bearer token alone is not enough to add or remove a passkey, a Firebase link
or an authenticator: whoever holds a stolen or pre-registered token would turn
it into a way in that outlives every password reset. Such a change needs

* a verified email, so an account someone registered with another person's
  address cannot be fitted with the squatter's credentials before its owner
  shows up (and ``sign_in_credentials_purge`` removes those added earlier), and
* a proof on this session within ``STEP_UP_TTL``: the sign-in itself, or
  ``session_step_up`` with the password or a second factor.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from accounts.errors import AccountError
from accounts.models import BackupCode, FirebaseIdentity, Passkey, TOTPDevice, User, UserSession
from accounts.services.lockout import lockout_clear, lockout_failure, lockout_guard
from accounts.services.mfa import mfa_code_verify
from accounts.services.mfa_changed import SignInChange, mfa_changed_notify
from guardiannest.audit.services import audit_record
from guardiannest.client import Client
from guardiannest.errors import ApplicationError, invalid

STEP_UP_TTL = timedelta(minutes=5)


def _live_session(*, user: User, session_id: UUID | str | None) -> UserSession | None:
    if not session_id:
        return None
    return UserSession.objects.filter(pk=session_id, user=user, ended_at__isnull=True).first()


def sign_in_change_authorize(*, user: User, session_id: UUID | str | None) -> None:
    """Refuse a change of the ways to sign in unless the email is verified and the session proved itself lately."""
    if not user.email_verified:
        raise ApplicationError(
            AccountError.EMAIL_UNVERIFIED, "Verify your email address before changing how you sign in."
        )
    session = _live_session(user=user, session_id=session_id)
    if session is None or session.authenticated_at < timezone.now() - STEP_UP_TTL:
        minutes = int(STEP_UP_TTL.total_seconds() // 60)
        raise ApplicationError(
            AccountError.STEP_UP_REQUIRED,
            f"Confirm it is you: send your password or a code to auth/step-up, then retry within {minutes} minutes.",
        )


def session_step_up(
    *, client: Client, user: User, session_id: UUID | str | None, password: str = "", code: str = ""
) -> datetime:
    """Prove the caller again with the password or a second factor; the session counts as fresh from now.

    Wrong answers count toward the account + address lockout, as at sign-in.
    """
    session = _live_session(user=user, session_id=session_id)
    if session is None:
        raise ApplicationError(AccountError.TOKEN_NOT_VALID, "This session has ended; sign in again.")
    lockout_guard(client=client, email=user.email)
    if code:
        way = mfa_code_verify(client=client, user=user, code=code)
    else:
        if not password or not user.check_password(password):
            audit_record(action="auth.step_up_failed", actor=user, target=user, data={"way": "password"})
            lockout_failure(client=client, email=user.email, way="password")
            raise invalid("password", "The password is wrong.", AccountError.INVALID_CREDENTIALS)
        way = "password"
    now = timezone.now()
    with transaction.atomic():
        UserSession.objects.filter(pk=session.pk).update(authenticated_at=now)
        audit_record(action="auth.stepped_up", actor=user, target=user, data={"way": way, "session": str(session.pk)})
    lockout_clear(client=client, email=user.email)
    return now


def sign_in_credentials_purge(*, user: User, before: datetime | None) -> int:
    """Remove every passkey, Firebase link and authenticator (with its backup codes) added before ``before``.

    Called when the owner proves the mailbox (verification, reset): whatever
    was attached to the account before that may be a squatter's. ``None``
    means "all of them". Each kind removed sends one ``account.mfa_changed``
    email. Call inside the transaction that verifies the email.
    """
    removed = 0
    kinds = (
        (Passkey.objects.filter(user=user), SignInChange.PASSKEY_REMOVED),
        (FirebaseIdentity.objects.filter(user=user), SignInChange.FIREBASE_UNLINKED),
        (TOTPDevice.objects.filter(user=user), SignInChange.TOTP_DISABLED),
    )
    for rows, change in kinds:
        if before is not None:
            rows = rows.filter(created_at__lt=before)
        count, _ = rows.delete()
        if count:
            removed += count
            if change is SignInChange.TOTP_DISABLED and not TOTPDevice.objects.filter(user=user).exists():
                BackupCode.objects.filter(user=user).delete()
            mfa_changed_notify(user=user, change=change)
    if removed:
        audit_record(action="auth.credentials_purged", actor=user, target=user, data={"removed": removed})
    return removed
