"""Signed-in devices: each refresh-token family is one session a user can see and end."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from accounts.errors import AccountError
from accounts.models import User, UserSession
from accounts.models.sessions import SESSION_CLAIM as SESSION_CLAIM
from accounts.models.sessions import staff_second_factor_missing
from accounts.tokens import BlacklistedToken, OutstandingToken
from guardiannest import context
from guardiannest.audit.services import audit_record
from guardiannest.client import Client
from guardiannest.errors import ApplicationError
from guardiannest.realtime.events import CloseReason, sockets_close_on_commit

# Writing last_used_at on every refresh would be a write per request burst; once a minute is enough.
TOUCH_INTERVAL_SECONDS = 60


def _device(client: Client | None) -> tuple[str | None, str]:
    """(address, browser) of a session; with no client (a session made by code), the address of the current request."""
    if client is None:
        return context.client_ip.get(), ""
    return client.ip or None, client.user_agent[:300]


def session_start(*, user: User, client: Client | None, method: str) -> UserSession:
    """Open a session for a sign-in by ``method``; a staff account is refused one from a one-factor sign-in.

    Every way in passes here, so no staff token is ever issued after a password (or Firebase) alone.
    """
    staff_mfa_check(user=user, method=method)
    ip, user_agent = _device(client)
    return UserSession.objects.create(user=user, ip=ip, user_agent=user_agent, method=method)


def staff_mfa_check(*, user: User, method: str) -> None:
    """Refuse (403 ``staff_mfa_required``) a staff session that proves one factor only; tell them what to do."""
    if not staff_second_factor_missing(is_staff=user.is_staff, method=method):
        return
    if user.mfa_enabled:
        detail = "Staff accounts sign in with a second factor: sign in again and give your authenticator's code."
    else:
        detail = (
            "Staff accounts need a second factor: ask an administrator to enrol an authenticator for you "
            "(manage.py totp_enrol), then sign in again with its code."
        )
    raise ApplicationError(AccountError.STAFF_MFA_REQUIRED, detail)


def session_touch(*, session: UserSession, client: Client | None) -> None:
    now = timezone.now()
    if (now - session.last_used_at).total_seconds() < TOUCH_INTERVAL_SECONDS:
        return
    ip, _ = _device(client)
    UserSession.objects.filter(pk=session.pk).update(last_used_at=now, ip=ip or session.ip)


def _kill_refresh(session: UserSession) -> None:
    if not session.refresh_jti:
        return
    outstanding = OutstandingToken.objects.filter(jti=session.refresh_jti).first()
    if outstanding is not None:
        BlacklistedToken.objects.get_or_create(token=outstanding)


@transaction.atomic
def session_end(*, session: UserSession, reason: str) -> bool:
    """End one session; its refresh token dies. False when it had already ended."""
    locked = UserSession.objects.select_for_update().get(pk=session.pk)
    if locked.ended_at is not None:
        return False
    locked.ended_at = timezone.now()
    locked.end_reason = reason
    locked.save(update_fields=["ended_at", "end_reason"])
    _kill_refresh(locked)
    sockets_close_on_commit(reason=CloseReason.SESSION_ENDED, session_ids=[locked.pk])
    return True


@transaction.atomic
def session_end_all(*, user: User, reason: str, keep: UUID | str | None = None) -> int:
    """End every session of the user but ``keep``; returns how many ended."""
    ended = []
    for session in UserSession.objects.select_for_update().filter(user=user, ended_at__isnull=True):
        if keep is not None and str(session.pk) == str(keep):
            continue
        session.ended_at = timezone.now()
        session.end_reason = reason
        session.save(update_fields=["ended_at", "end_reason"])
        _kill_refresh(session)
        ended.append(session.pk)
    sockets_close_on_commit(reason=CloseReason.SESSION_ENDED, session_ids=ended)
    return len(ended)


@transaction.atomic
def session_revoke(*, session: UserSession, actor: User) -> None:
    """The user ends one of their devices from the security screen."""
    if session_end(session=session, reason=UserSession.EndReason.REVOKED):
        audit_record(action="auth.session_revoked", actor=actor, target=session.user, data={"session": str(session.pk)})
