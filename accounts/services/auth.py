"""Every change to an account: one function, one transaction, one audit event."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from accounts.errors import AccountError
from accounts.hooks import name_changed_run
from accounts.models import Role, User, UserSession
from accounts.services.lockout import lockout_authenticate, lockout_clear
from accounts.services.mfa import mfa_challenge_issue
from accounts.services.sessions import SESSION_CLAIM, session_end, session_start, session_touch, staff_mfa_check
from accounts.services.verification import email_verification_enqueue
from accounts.tokens import (
    BlacklistedToken,
    OutstandingToken,
    RefreshToken,
    TokenBackendError,
    TokenError,
    jwt_settings,
    token_backend,
)
from guardiannest.audit.services import audit_record
from guardiannest.client import Client
from guardiannest.errors import ApplicationError, invalid, invalid_fields

SELF_SERVICE_ROLES = (Role.PARENT, Role.SITTER)


def _refresh_invalid() -> ApplicationError:
    return invalid("refresh", "The refresh token is invalid or expired.", AccountError.INVALID_TOKEN)


@transaction.atomic
def user_register(
    *, email: str, password: str, role: str, first_name: str = "", last_name: str = "", phone: str = ""
) -> User:
    """Create a parent or a sitter. Staff are made by staff, never by sign-up.

    An address that already has an account gets the same answer as a new one
    (an unsaved user with a fresh id) and creates nothing, so sign-up tells
    nobody which addresses have accounts; the attempt is in the owner's
    security events, and the owner can always reset the password.
    """
    if role not in SELF_SERVICE_ROLES:
        raise invalid("role", "Choose parent or sitter.")
    email = User.objects.normalize_email(email).lower()
    candidate = User(email=email, role=role, first_name=first_name, last_name=last_name, phone=phone)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise invalid_fields({"password": list(exc.messages)}) from exc
    candidate.set_password(password)  # also for a taken address: the answer takes as long either way
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                candidate.save()
        except IntegrityError:  # a concurrent sign-up with the same email won the race
            existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        audit_record(action="user.register_taken", target=existing)
        return User(email=email, role=role)
    audit_record(action="user.registered", actor=candidate, target=candidate, data={"role": role})
    email_verification_enqueue(user=candidate)
    return candidate


def tokens_for(user: User, *, session: UserSession | None = None) -> dict[str, str]:
    """A fresh token pair for a session (a new one, with no device details, when none is given)."""
    if session is None:
        session = session_start(user=user, client=None, method="token")
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_CLAIM] = str(session.pk)
    UserSession.objects.filter(pk=session.pk).update(refresh_jti=refresh[jwt_settings.JTI_CLAIM])
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _token_invalid(detail: str = "The refresh token is invalid, expired or already used.") -> ApplicationError:
    return ApplicationError(AccountError.TOKEN_NOT_VALID, detail)


def token_refresh(*, refresh: str, client: Client | None = None) -> dict[str, str]:
    """Rotate a refresh token: the presented one dies, a new pair of the same session comes back.

    The outstanding-token row is locked while the blacklist is checked and
    written, so two racing refreshes with one token cannot both succeed. An
    ended session refreshes no more. A refresh token that was already rotated
    coming back means two holders (the owner and a thief, one of them first):
    the whole session ends, so the chain grown from it dies too.
    """
    try:
        presented = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        claims = _rotated_claims(refresh)  # simplejwt refuses a blacklisted token before we see it
        if claims is not None:
            _refresh_reuse_end(claims=claims)
        raise _token_invalid() from exc
    with transaction.atomic():
        outstanding = (
            OutstandingToken.objects.select_for_update(of=("self",))
            .filter(jti=presented[jwt_settings.JTI_CLAIM])
            .order_by()
            .first()
        )
        reused = outstanding is not None and BlacklistedToken.objects.filter(token=outstanding).exists()
        if outstanding is not None and not reused:
            user = User.objects.filter(pk=presented.get(jwt_settings.USER_ID_CLAIM), is_active=True).first()
            if user is None:
                raise ApplicationError(AccountError.NO_ACTIVE_ACCOUNT, "No active account for this token.")
            session = UserSession.objects.filter(
                pk=presented.get(SESSION_CLAIM), user=user, ended_at__isnull=True
            ).first()
            if session is None:
                raise _token_invalid("This session has ended; sign in again.")
            staff_mfa_check(user=user, method=session.method)
            BlacklistedToken.objects.create(token=outstanding)
            session_touch(session=session, client=client)
            return tokens_for(user, session=session)
    if reused:  # a racing use of the same token; after the checking transaction, so the ending sticks
        _refresh_reuse_end(claims=dict(presented.payload))
    raise _token_invalid()


def _rotated_claims(refresh: str) -> dict[str, Any] | None:
    """The claims of a genuine refresh token of ours that was already used (blacklisted); None for anything else."""
    try:
        claims: dict[str, Any] = token_backend.decode(refresh, verify=True)  # type: ignore[arg-type]
    except TokenBackendError:
        return None
    if claims.get(jwt_settings.TOKEN_TYPE_CLAIM) != "refresh":
        return None
    return claims if BlacklistedToken.objects.filter(token__jti=claims.get(jwt_settings.JTI_CLAIM)).exists() else None


@transaction.atomic
def _refresh_reuse_end(*, claims: dict[str, Any]) -> None:
    """A rotated refresh token came back: end its session (the newest refresh dies with it) and audit it.

    Tokens of a session already over (logged out, or ended by an earlier reuse) change nothing and log nothing.
    """
    user = User.objects.filter(pk=str(claims.get(jwt_settings.USER_ID_CLAIM))).first()
    session_id = str(claims.get(SESSION_CLAIM))
    session = UserSession.objects.filter(pk=session_id, user=user).first() if user else None
    if session is not None and session_end(session=session, reason=UserSession.EndReason.REFRESH_REUSED):
        audit_record(action="auth.refresh_reused", target=user, data={"session": session_id})


def user_login(*, client: Client, email: str, password: str) -> dict[str, Any]:
    """Check the password and hand out a token pair; every outcome is audited.

    With MFA on, a right password earns only the MFA challenge (``mfa_token``);
    tokens come from ``user_login_mfa``. No other way round the second factor.
    """
    email = email.strip().lower()
    try:
        user = lockout_authenticate(client=client, email=email, password=password)
    except ApplicationError:  # account_locked: axes refused this account from this address
        audit_record(action="auth.login_locked", target=User.objects.filter(email=email).first())
        raise
    if user is None:
        # No email in the log: it outlives erasure and may be someone else's typo.
        # When it names an account, the owner sees the attempt in their security events.
        audit_record(action="auth.login_failed", target=User.objects.filter(email=email).first())
        raise ApplicationError(AccountError.INVALID_CREDENTIALS, "Email or password is wrong.")
    assert isinstance(user, User)
    if user.mfa_enabled:
        # Before lockout_clear: a right password must not wipe the count of wrong MFA codes.
        return mfa_challenge_issue(client=client, user=user)
    lockout_clear(client=client, email=email)
    session = session_start(user=user, client=client, method="password")
    pair = tokens_for(user, session=session)
    audit_record(action="auth.login_succeeded", actor=user, target=user, data={"method": "password"})
    return pair


def user_logout(*, user: User, refresh: str) -> None:
    """End the session the refresh token belongs to; it may be the caller's only."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise _refresh_invalid() from exc
    if str(token.get("sub")) != str(user.pk):
        raise _refresh_invalid()
    token.blacklist()
    session = UserSession.objects.filter(pk=token.get(SESSION_CLAIM), user=user).first()
    if session is not None:
        session_end(session=session, reason=UserSession.EndReason.LOGOUT)
    audit_record(action="auth.logged_out", actor=user, target=user, data={"session": token.get(SESSION_CLAIM)})


@transaction.atomic
def user_update(*, user: User, actor: User, data: dict[str, Any]) -> User:
    """Change names and phone (the caller's own, or staff in the admin); nothing else is writable here.

    A changed first or last name runs the ``accounts.hooks.name_changed``
    handlers in this transaction: a sitter's verified identity goes back to review.
    """
    allowed = {"first_name", "last_name", "phone"}
    changed = {key: value for key, value in data.items() if key in allowed and getattr(user, key) != value}
    if not changed:
        return user
    locked = User.objects.select_for_update().get(pk=user.pk)
    for key, value in changed.items():
        setattr(locked, key, value)
    locked.save(update_fields=[*changed, "updated_at"])
    audit_record(action="user.updated", actor=actor, target=locked, data={"fields": sorted(changed)})
    # Other apps act on a new name in this transaction (sitters: a verified identity goes back to review).
    name_changed_run(user=locked, actor=actor, fields=changed)
    return locked


def user_phone_set(*, user: User, phone: str, actor: User) -> User:
    """Make ``phone`` (E.164, checked by the caller) the account's phone: the change of ``user_update``, audited alike.

    For other apps that decide a number is the account's (messaging, once the
    number is proven by SMS): the user row is written by accounts only.
    """
    return user_update(user=user, actor=actor, data={"phone": phone})
