"""Switching an account off, and erasing it for good while keeping the records others rely on."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User, UserSession
from accounts.services.lockout import lockout_clear, lockout_failure, lockout_guard
from accounts.services.sessions import session_end_all
from guardiannest.audit.services import audit_record
from guardiannest.client import Client
from guardiannest.errors import invalid
from guardiannest.registries import gdpr_erasers


@transaction.atomic
def user_deactivate(*, user: User, actor: User) -> bool:
    """Switch the account off: every device is signed out and no refresh works. False when already off."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        return False
    locked.is_active = False
    locked.save(update_fields=["is_active", "updated_at"])
    session_end_all(user=locked, reason=UserSession.EndReason.DEACTIVATED)
    audit_record(action="user.deactivated", actor=actor, target=locked)
    return True


def user_erase(*, user: User, password: str, client: Client) -> None:
    """Erase the caller's account after they confirm with their password.

    A wrong password counts toward the lockout like a failed sign-in (way
    ``delete_account``): a stolen access token must not be enough to destroy an
    account, nor to guess its password.
    """
    lockout_guard(client=client, email=user.email)
    if not user.check_password(password):
        audit_record(action="account.erase_refused", actor=user, target=user)
        lockout_failure(client=client, email=user.email, way="delete_account")
        raise invalid("password", "The password is wrong.")
    lockout_clear(client=client, email=user.email)
    user_erase_confirmed(user=user)


@transaction.atomic
def user_erase_confirmed(*, user: User) -> bool:
    """Erase in one transaction: sessions end, every app erases its part, the user row is anonymised.

    The row is kept so payments, bookings and audit events keep pointing at an
    id, now of nobody: the email becomes ``erased-<id>@invalid`` (free to sign up
    with again), names and phone are blanked, the password unusable, the
    account inactive. False when it was already erased.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    erased_email = f"erased-{locked.pk}@invalid"
    if locked.email == erased_email:
        return False
    session_end_all(user=locked, reason=UserSession.EndReason.ERASED)
    for _name, eraser in gdpr_erasers.items():
        eraser(locked)
    locked.email = erased_email
    locked.first_name = locked.last_name = locked.phone = ""
    locked.set_unusable_password()
    locked.is_active = locked.is_staff = locked.is_superuser = False
    locked.email_verified_at = None
    locked.last_login = None
    locked.save()
    locked.groups.clear()
    locked.user_permissions.clear()
    audit_record(action="account.erased", actor=locked, target=locked)
    return True
