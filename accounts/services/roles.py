"""Who an account is on the platform: its role and its staff powers, changed by staff and always audited.

The admin changes these through here only (its fields are read-only), so each
change leaves an audit event and keeps the rules: a staff account has the
staff role, and only a superuser makes someone staff.
"""

from __future__ import annotations

from django.db import transaction

from accounts.errors import AccountError
from accounts.models import Role, User
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError


@transaction.atomic
def user_role_change(*, user: User, role: str, actor: User) -> bool:
    """Make a parent a sitter or back; False when it already was. Staff go through ``user_staff_grant``."""
    if role not in (Role.PARENT, Role.SITTER):
        raise ApplicationError(AccountError.ROLE_NOT_ALLOWED, "Choose parent or sitter; staff are granted apart.")
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_staff or locked.role == Role.STAFF:
        raise ApplicationError(AccountError.ROLE_NOT_ALLOWED, "A staff account keeps the staff role.")
    if locked.role == role:
        return False
    before = locked.role
    locked.role = role
    locked.save(update_fields=["role", "updated_at"])
    audit_record(action="user.role_changed", actor=actor, target=locked, data={"from": before, "to": role})
    return True


@transaction.atomic
def user_staff_grant(*, user: User, actor: User) -> bool:
    """Give an account the staff role and the admin (superusers only); False when it already was staff."""
    if not actor.is_superuser:
        raise ApplicationError(AccountError.ROLE_NOT_ALLOWED, "Only a superuser grants staff.")
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_staff:
        return False
    before = locked.role
    locked.role, locked.is_staff = Role.STAFF, True
    locked.save(update_fields=["role", "is_staff", "updated_at"])
    audit_record(action="user.staff_granted", actor=actor, target=locked, data={"from": before})
    return True
