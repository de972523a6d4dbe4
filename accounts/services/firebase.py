"""Firebase sign-in and linking: a Firebase uid finds its local user, an email never does.

The rules (SECURITY.md, Sign-in):

* A uid already linked signs in its user.
* An unknown uid whose email belongs to no account creates a parent account
  and links it. The email counts as verified only when Firebase says so
  (``email_verified``); the account has no usable password.
* An unknown uid whose email already has an account is refused with
  ``account_exists`` (a conflict) and links nothing: anyone can put any address on a
  Firebase account through a provider that does not verify it, so the owner
  signs in with their password and links Firebase from ``auth/firebase/link``.
* A token without an email (phone, anonymous) cannot create an account (bad input).
* A link made from an unverified email is untrusted: once the address's owner
  proves themselves another way (a password set through reset), it stops
  signing in (a failed sign-in), so a pre-registered account cannot be shared with its
  squatter. A later token with the same, verified email trusts it again (and
  marks the account's email verified).
* An account with MFA on gets the same half-way answer as a right password
  (``{mfa_required, mfa_token, methods}``, finished at ``auth/login/mfa``):
  Firebase is a first factor and never skips ours.

Failures that mean "this token does not get you in" (bad, expired, revoked or
disabled token, deactivated account, untrusted link) are audited as
``auth.login_failed`` and counted by django-axes against the token's email
and the client address; a locked pair is refused before the token is checked.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import firebase_client
from accounts.errors import AccountError, FirebaseSignInError
from accounts.firebase_client import FirebaseClaims, FirebaseTokenRejected, FirebaseUnavailable, TokenProblem
from accounts.models import FirebaseIdentity, Role, User
from accounts.services.auth import tokens_for
from accounts.services.lockout import lockout_clear, lockout_failure, lockout_guard
from accounts.services.mfa import mfa_challenge_issue
from accounts.services.mfa_changed import SignInChange, mfa_changed_notify
from accounts.services.sessions import session_start
from guardiannest.audit.services import audit_record
from guardiannest.client import Client
from guardiannest.errors import ApplicationError, Refusal

METHOD = "firebase"
ANONYMOUS_PROVIDER = "anonymous"


_TOKEN_ERRORS: dict[TokenProblem, tuple[FirebaseSignInError, str]] = {
    TokenProblem.INVALID: (FirebaseSignInError.TOKEN_INVALID, "The Firebase ID token is not valid."),
    TokenProblem.EXPIRED: (FirebaseSignInError.TOKEN_EXPIRED, "The Firebase ID token has expired; get a fresh one."),
    TokenProblem.REVOKED: (
        FirebaseSignInError.TOKEN_REVOKED,
        "This Firebase sign-in was revoked; sign in to Firebase again.",
    ),
    TokenProblem.DISABLED: (FirebaseSignInError.USER_DISABLED, "This Firebase account is disabled."),
    TokenProblem.UNKNOWN_USER: (FirebaseSignInError.TOKEN_INVALID, "The Firebase ID token is not valid."),
}


class _Refusal(Exception):
    """Raised inside the sign-in transaction (rolling it back); answered and audited outside it."""

    def __init__(self, error: ApplicationError, *, reason: str, target: User | None, counts: bool) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.target = target
        self.counts = counts  # a failed proof of identity: feeds the lockout


def _token_error(problem: TokenProblem, *, refusal: Refusal | None = None) -> ApplicationError:
    """A failed sign-in; pass ``Refusal.INVALID`` where the caller is signed in already (linking)."""
    code, detail = _TOKEN_ERRORS[problem]
    return ApplicationError(code, detail, refusal=refusal)


def _unavailable() -> ApplicationError:
    return ApplicationError(
        FirebaseSignInError.UNAVAILABLE,
        "Firebase sign-in is not available right now; try again later or use your password.",
    )


def _refuse_unless_enabled() -> None:
    """Firebase sign-in switched off on this server (no project configured) is a refusal, not an outage."""
    if not firebase_client.is_configured():
        raise ApplicationError(
            FirebaseSignInError.NOT_ENABLED,
            "Firebase sign-in is not enabled on this server; sign in with your email and password.",
        )


def _user_by_email(email: str | None) -> User | None:
    return User.objects.filter(email__iexact=email).first() if email else None


def _user_by_uid(uid: str | None) -> User | None:
    identity = FirebaseIdentity.objects.select_related("user").filter(uid=uid).first() if uid else None
    return identity.user if identity is not None else None


def _refuse(*, client: Client, refusal: _Refusal, email: str | None) -> ApplicationError:
    """Audit a refused sign-in, count it when it was a failed proof, and return the answer to raise.

    No email in the audit data: the target names the account the attempt was
    against, so its owner sees it among their security events.
    """
    audit_record(action="auth.login_failed", target=refusal.target, data={"method": METHOD, "reason": refusal.reason})
    if refusal.counts and email:
        lockout_failure(client=client, email=email, way=METHOD)  # raises account_locked when this one locks
    return refusal.error


def _valid_email(email: str | None) -> bool:
    if not email:
        return False
    try:
        validate_email(email)
    except DjangoValidationError:
        return False
    return True


def _identity_by_uid(uid: str) -> FirebaseIdentity | None:
    return FirebaseIdentity.objects.select_related("user").filter(uid=uid).first()


def _account_create(*, claims: FirebaseClaims) -> FirebaseIdentity:
    """A new parent account for a Firebase user we have never seen, whose email is free."""
    if not _valid_email(claims.email):
        raise _Refusal(
            ApplicationError(
                FirebaseSignInError.EMAIL_REQUIRED,
                "This Firebase account has no usable email address; sign in with a provider that shares one.",
                errors={"id_token": ["The token carries no usable email address."]},
            ),
            reason="email_required",
            target=None,
            counts=False,
        )
    if not claims.email_verified:
        # An account made from an address nobody proved would squat it: its owner could
        # never register or reset into it. Firebase must vouch for the address first.
        raise _Refusal(
            ApplicationError(
                FirebaseSignInError.EMAIL_UNVERIFIED,
                "Verify this email address with your sign-in provider first, then try again.",
                errors={"id_token": ["The token's email address is not verified."]},
            ),
            reason="email_unverified",
            target=None,
            counts=False,
        )
    email = User.objects.normalize_email(claims.email).lower()
    existing = _user_by_email(email)
    if existing is not None:
        # A concurrent first sign-in with this uid may have committed the account a moment ago: use its link.
        if (winner := _identity_by_uid(claims.uid)) is not None:
            return winner
        raise _Refusal(_account_exists(), reason="account_exists", target=existing, counts=False)
    user = User(email=email, role=Role.PARENT, email_verified_at=timezone.now() if claims.email_verified else None)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
            identity = FirebaseIdentity.objects.create(
                user=user, uid=claims.uid, provider=claims.sign_in_provider, trusted=claims.email_verified
            )
    except IntegrityError:
        # A concurrent first sign-in won: with this uid (use its link) or this email (someone else's now).
        identity_or_none = _identity_by_uid(claims.uid)
        if identity_or_none is None:
            raise _Refusal(
                _account_exists(), reason="account_exists", target=_user_by_email(email), counts=False
            ) from None
        return identity_or_none
    audit_record(action="user.registered", actor=user, target=user, data={"role": Role.PARENT, "method": METHOD})
    audit_record(action="auth.firebase_linked", actor=user, target=user, data={"provider": claims.sign_in_provider})
    return identity


def _account_exists() -> ApplicationError:
    return ApplicationError(
        FirebaseSignInError.ACCOUNT_EXISTS,
        "An account with this email already exists. Sign in with your password, then link Firebase.",
    )


def _admit(*, identity: FirebaseIdentity, claims: FirebaseClaims) -> User:
    """May this link sign its user in now? Trust it anew when Firebase vouches for the same email."""
    user = identity.user
    if not user.is_active:
        raise _Refusal(
            ApplicationError(AccountError.NO_ACTIVE_ACCOUNT, "No active account for this sign-in."),
            reason="inactive",
            target=user,
            counts=True,
        )
    if claims.email_verified and claims.email == user.email:
        if not identity.trusted:
            identity.trusted = True
            FirebaseIdentity.objects.filter(pk=identity.pk).update(trusted=True)
            mfa_changed_notify(user=user, change=SignInChange.FIREBASE_LINKED)
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at", "updated_at"])
    if not identity.trusted and user.has_usable_password():
        raise _Refusal(
            ApplicationError(
                FirebaseSignInError.LINK_UNTRUSTED,
                "This Firebase account can no longer sign in here. Sign in with your password and link it again.",
            ),
            reason="link_untrusted",
            target=user,
            counts=True,
        )
    return user


def firebase_sign_in(*, client: Client, id_token: str) -> dict[str, Any]:
    """Verify a Firebase ID token and hand out a token pair for its linked (or new) user.

    With MFA on, the answer is the MFA challenge instead of tokens, and the
    lockout count is left alone until the code is right (as for passwords).
    """
    _refuse_unless_enabled()
    hint = firebase_client.unverified_email(id_token)
    if hint:
        lockout_guard(client=client, email=hint)
    try:
        claims = firebase_client.verify_id_token(id_token)
    except FirebaseUnavailable as exc:
        raise _unavailable() from exc
    except FirebaseTokenRejected as exc:
        refusal = _Refusal(
            _token_error(exc.problem),
            reason=f"token_{exc.problem.value}",
            target=_user_by_uid(exc.uid) or _user_by_email(exc.email_hint),
            counts=True,
        )
        raise _refuse(client=client, refusal=refusal, email=exc.email_hint) from exc
    email = claims.email or hint
    try:
        with transaction.atomic():
            identity = _identity_by_uid(claims.uid)
            if identity is None:
                identity = _account_create(claims=claims)
            user = _admit(identity=identity, claims=claims)
            second_factor = user.mfa_enabled
            if not second_factor:
                FirebaseIdentity.objects.filter(pk=identity.pk).update(last_used_at=timezone.now())
                session = session_start(user=user, client=client, method=METHOD)
                pair = tokens_for(user, session=session)
                audit_record(
                    action="auth.login_succeeded",
                    actor=user,
                    target=user,
                    data={"method": METHOD, "provider": claims.sign_in_provider},
                )
    except _Refusal as refusal:
        raise _refuse(client=client, refusal=refusal, email=email) from refusal
    if second_factor:
        return mfa_challenge_issue(client=client, user=user)
    if email:
        lockout_clear(client=client, email=email)
    return pair


def firebase_identity_link(*, user: User, id_token: str) -> tuple[FirebaseIdentity, bool]:
    """Link the Firebase account of a token to the signed-in user; (identity, created).

    The caller is already signed in, so a bad token is bad input, not a
    failed sign-in. Linking again to the same user is a no-op that trusts the
    link; a uid linked to someone else is a conflict. Anonymous Firebase users
    are throwaway device identities and never become a way in.
    """
    _refuse_unless_enabled()
    try:
        claims = firebase_client.verify_id_token(id_token)
    except FirebaseUnavailable as exc:
        raise _unavailable() from exc
    except FirebaseTokenRejected as exc:
        raise _token_error(exc.problem, refusal=Refusal.INVALID) from exc
    if claims.sign_in_provider == ANONYMOUS_PROVIDER:
        raise ApplicationError(
            FirebaseSignInError.PROVIDER_NOT_ALLOWED, "Anonymous Firebase accounts cannot be linked."
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                identity = FirebaseIdentity.objects.create(
                    user=user, uid=claims.uid, provider=claims.sign_in_provider, trusted=True
                )
        except IntegrityError:
            existing = FirebaseIdentity.objects.get(uid=claims.uid)
            if existing.user_id != user.pk:
                raise ApplicationError(
                    FirebaseSignInError.ALREADY_LINKED, "This Firebase account is linked to another account."
                ) from None
            if not existing.trusted:
                existing.trusted = True
                existing.save(update_fields=["trusted"])
                mfa_changed_notify(user=user, change=SignInChange.FIREBASE_LINKED)
            return existing, False
        audit_record(action="auth.firebase_linked", actor=user, target=user, data={"provider": claims.sign_in_provider})
        mfa_changed_notify(user=user, change=SignInChange.FIREBASE_LINKED)
        return identity, True


@transaction.atomic
def firebase_identity_unlink(*, identity: FirebaseIdentity, actor: User) -> None:
    """Remove a link (staff in the admin); that Firebase account signs in here no more."""
    user = identity.user
    provider = identity.provider
    deleted, _ = FirebaseIdentity.objects.filter(pk=identity.pk).delete()
    if deleted:
        audit_record(action="auth.firebase_unlinked", actor=actor, target=user, data={"provider": provider})
        mfa_changed_notify(user=user, change=SignInChange.FIREBASE_UNLINKED)
