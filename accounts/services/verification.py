"""Email verification: a signed, expiring, single-use link sent after sign-up.

Tokens follow Django's ``PasswordResetTokenGenerator`` pattern: an HMAC (keyed
by SECRET_KEY, with SECRET_KEY_FALLBACKS honoured) over the user's id, some
state that the action itself changes, and a timestamp. Nothing is stored; a
token dies when it expires or when the state it signed changes. For
verification that state is the email and ``email_verified_at``: verifying
sets the date (so a used link stops working) and a changed address makes an
old link useless.

The token handed out is ``<base64 user id>.<timestamp>-<hmac>``, so the
client sends one opaque string.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from accounts.emails import email_message, email_render, frontend_link
from accounts.errors import AccountError
from accounts.models import User
from accounts.services.step_up import sign_in_credentials_purge
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, invalid

TOKEN_SEPARATOR = "."
TOKEN_MAX_LENGTH = 200


class ExpiringTokenGenerator(PasswordResetTokenGenerator):
    """Django's token scheme with a lifetime of its own instead of PASSWORD_RESET_TIMEOUT."""

    ttl_setting: str = ""

    @property
    def ttl(self) -> int:
        return int(getattr(settings, self.ttl_setting))

    def check_token(self, user: User | None, token: str | None) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        signed = any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )
        age = self._num_seconds(self._now()) - ts
        return signed and 0 <= age <= self.ttl

    def _now(self) -> datetime:
        # Django's generator uses naive local time; pin it to UTC so a TZ change cannot stretch a token.
        return timezone.now().replace(tzinfo=None)


class EmailVerificationTokenGenerator(ExpiringTokenGenerator):
    key_salt = "guardiannest.accounts.email_verification"
    ttl_setting = "EMAIL_VERIFICATION_TTL"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        verified = "" if user.email_verified_at is None else user.email_verified_at.isoformat()
        return f"{user.pk}|{user.email}|{verified}|{timestamp}"


email_verification_tokens = EmailVerificationTokenGenerator()


def token_pack(*, user: User, generator: PasswordResetTokenGenerator) -> str:
    """One opaque, URL-safe string naming the user and carrying the signature."""
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}{TOKEN_SEPARATOR}{generator.make_token(user)}"


def token_unpack(token: str) -> tuple[uuid.UUID | None, str]:
    """(user id or None, signature part); never raises, whatever the client sent."""
    if len(token) > TOKEN_MAX_LENGTH or token.count(TOKEN_SEPARATOR) != 1:
        return None, ""
    encoded_id, signature = token.split(TOKEN_SEPARATOR)
    try:
        return uuid.UUID(force_str(urlsafe_base64_decode(encoded_id))), signature
    except (ValueError, TypeError, UnicodeDecodeError):
        return None, ""


def invalid_token_error() -> ApplicationError:
    return invalid("token", "This link is invalid, has expired or was already used.", AccountError.INVALID_TOKEN)


def email_verification_message(*, user: User) -> EmailMultiAlternatives:
    """The verification email with a fresh link for the user's current address."""
    token = token_pack(user=user, generator=email_verification_tokens)
    rendered = email_render(
        kind="verify_email",
        context={
            "first_name": user.first_name,
            "link": frontend_link("verify-email", token=token),
            "ttl_days": max(1, round(settings.EMAIL_VERIFICATION_TTL / 86400)),
        },
    )
    return email_message(to=user.email, rendered=rendered)


def email_verification_send(*, user_id: uuid.UUID | str) -> bool:
    """Send the link unless the account is gone, inactive or already verified; True when sent.

    Called by the Celery task; a retry after the user verified sends nothing.
    """
    user = User.objects.filter(pk=user_id, is_active=True, email_verified_at__isnull=True).first()
    if user is None:
        return False
    email_verification_message(user=user).send()
    return True


def email_verification_enqueue(*, user: User) -> None:
    """Send the verification email from a worker once the caller's transaction commits."""
    from accounts.tasks.emails import email_verification_send_task

    transaction.on_commit(partial(email_verification_send_task.delay, str(user.pk)))


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Mark the address verified; a bad, expired or used token changes nothing and is refused (``invalid_token``)."""
    user_id, signature = token_unpack(token)
    user = None
    if user_id is not None:
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    # Checked under the row lock: two racing uses of one link cannot both pass.
    if user is None or not email_verification_tokens.check_token(user, signature):
        raise invalid_token_error()
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at", "updated_at"])
    audit_record(action="user.email_verified", actor=user, target=user)
    # Whatever way in was added before the mailbox's owner showed up may be a squatter's.
    sign_in_credentials_purge(user=user, before=None)
    return user
