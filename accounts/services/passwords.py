"""Password reset and change.

Reset never tells who has an account: every request answers the same, and an
unknown address costs the same work as a known one (the email is rendered
and thrown away instead of being queued). A reset link is single use because
its signature covers the password hash, which the reset changes. Confirming
a reset ends every session and hands out no tokens, so it never skips MFA:
the user signs in afresh. A change keeps the session it was made from and
ends the others. Both send a "your password was changed" email.

Failures are fed to the lockout (per account + address) outside any
transaction, so the rollback of the refused request does not erase the count.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from accounts.emails import change_notice_send, email_message, email_render, frontend_link
from accounts.models import User, UserSession
from accounts.services.lockout import lockout_clear, lockout_failure, lockout_guard
from accounts.services.mfa import mfa_guessing_clear
from accounts.services.sessions import session_end_all
from accounts.services.step_up import sign_in_credentials_purge
from accounts.services.verification import (
    ExpiringTokenGenerator,
    invalid_token_error,
    token_pack,
    token_unpack,
)
from guardiannest.audit.services import audit_record
from guardiannest.client import Client
from guardiannest.errors import invalid, invalid_fields


class PasswordResetTokenGeneratorWithTtl(ExpiringTokenGenerator):
    """Django's reset token (it signs the password hash and last login) with PASSWORD_RESET_TTL."""

    key_salt = "guardiannest.accounts.password_reset"
    ttl_setting = "PASSWORD_RESET_TTL"


password_reset_tokens: PasswordResetTokenGenerator = PasswordResetTokenGeneratorWithTtl()


@dataclass(frozen=True)
class PasswordChanged:
    user: User
    sessions_ended: int


def _validate(password: str, *, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise invalid_fields({field: list(exc.messages)}) from exc


# --- emails -----------------------------------------------------------------------------------


def password_reset_message(*, user: User) -> EmailMultiAlternatives:
    """The reset email with a fresh link (also built, never sent, for unknown addresses)."""
    rendered = email_render(
        kind="password_reset",
        context={
            "first_name": user.first_name,
            "link": frontend_link("reset-password", token=token_pack(user=user, generator=password_reset_tokens)),
            "ttl_minutes": max(1, settings.PASSWORD_RESET_TTL // 60),
        },
    )
    return email_message(to=user.email, rendered=rendered)


def _resettable(user_id: uuid.UUID | str) -> User | None:
    # As Django's PasswordResetForm: an account without a usable password (signed up through
    # Firebase, say) does not gain one through its email address alone.
    user = User.objects.filter(pk=user_id, is_active=True).first()
    return user if user is not None and user.has_usable_password() else None


def password_reset_email_send(*, user_id: uuid.UUID | str) -> bool:
    """Send a reset link unless the account is gone or inactive meanwhile; True when sent."""
    user = _resettable(user_id)
    if user is None:
        return False
    password_reset_message(user=user).send()
    return True


def password_changed_email_send(*, user_id: uuid.UUID | str, changed_at: str) -> bool:
    """Tell the owner their password changed, with a way back if it was not them."""
    return change_notice_send(user_id=user_id, kind="password_changed", changed_at=changed_at)


def _enqueue_changed_email(user: User) -> None:
    from accounts.tasks.emails import password_changed_email_send_task

    transaction.on_commit(partial(password_changed_email_send_task.delay, str(user.pk), timezone.now().isoformat()))


# --- reset ------------------------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Queue a reset link for an active account with this address; otherwise do the same work and drop it.

    Both paths run one look-up and render one email with a signed link; only
    a known address then queues the task that sends it (after commit).
    Nothing is audited here: a write for known addresses only would show in
    the timing.
    """
    email = email.strip().lower()
    found = User.objects.filter(email=email, is_active=True).first()
    user = found if found is not None and found.has_usable_password() else None
    # Rendered for both, sent for neither here: the worker sends a fresh one.
    password_reset_message(user=user or User(id=uuid.uuid4(), email=email))
    if user is not None:
        from accounts.tasks.emails import password_reset_email_send_task

        transaction.on_commit(partial(password_reset_email_send_task.delay, str(user.pk)))


def password_reset_confirm(*, client: Client, token: str, password: str) -> PasswordChanged:
    """Set a new password with a reset link; every session ends and no token is handed out.

    A valid link works even when the account is locked from this address (the
    lock's message sends people here, and a link cannot be guessed); a wrong
    one counts toward the lock of the account it names and is refused as
    ``account_locked`` once locked. A weak password is bad input and leaves the
    link usable.
    """
    user_id, signature = token_unpack(token)
    changed: PasswordChanged | None = None
    named: User | None = None
    with transaction.atomic():
        if user_id is not None:
            named = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        # Checked under the row lock: of two racing uses of one link, the second sees the new hash.
        if named is not None and password_reset_tokens.check_token(named, signature):
            _validate(password, user=named, field="password")
            named.set_password(password)
            fields = ["password", "updated_at"]
            # Ways in added before the mailbox was proven may be a squatter's: they go (all of them if never proven).
            sign_in_credentials_purge(user=named, before=named.email_verified_at)
            if named.email_verified_at is None:  # the link reached the mailbox: that is verification
                named.email_verified_at = timezone.now()
                fields.append("email_verified_at")
            named.save(update_fields=fields)
            ended = session_end_all(user=named, reason=UserSession.EndReason.PASSWORD_RESET)
            audit_record(action="auth.password_reset", actor=named, target=named, data={"sessions_ended": ended})
            _enqueue_changed_email(named)
            changed = PasswordChanged(user=named, sessions_ended=ended)
    if changed is None:
        if named is not None:
            audit_record(action="auth.password_reset_failed", target=named)
            lockout_failure(client=client, email=named.email, way="password_reset")
        raise invalid_token_error()
    lockout_clear(client=client, email=changed.user.email)
    mfa_guessing_clear(user=changed.user)
    return changed


# --- change -----------------------------------------------------------------------------------


def password_change(
    *,
    client: Client,
    user: User,
    old_password: str,
    new_password: str,
    keep_session: uuid.UUID | str | None,
) -> PasswordChanged:
    """Change the password of a signed-in user; the session it was made from stays, the others end.

    The old password is checked first, under the account's lock: a stolen
    access token must not become a way to guess it.
    """
    lockout_guard(client=client, email=user.email)
    if not user.check_password(old_password):
        audit_record(action="auth.password_change_failed", actor=user, target=user)
        lockout_failure(client=client, email=user.email, way="password_change")
        raise invalid("old_password", "The current password is wrong.")
    _validate(new_password, user=user, field="new_password")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(new_password)
        locked.save(update_fields=["password", "updated_at"])
        ended = session_end_all(user=locked, reason=UserSession.EndReason.PASSWORD_CHANGED, keep=keep_session)
        audit_record(action="auth.password_changed", actor=locked, target=locked, data={"sessions_ended": ended})
        _enqueue_changed_email(locked)
    lockout_clear(client=client, email=locked.email)
    return PasswordChanged(user=locked, sessions_ended=ended)
