"""What audit events a person may see."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from guardiannest.audit.models import AuditEvent


def audit_event_list_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[AuditEvent]:
    """Events the user did, and events done to their account, newest first.

    An anonymous user sees nothing: matching on a missing id would otherwise
    select every event that has no actor. The rows may describe what staff did
    to the account, so the API decides which fields (not the staff member's
    IP, say) go on the wire.
    """
    if not user.is_authenticated or user.pk is None:
        return AuditEvent.objects.none()
    user_type = get_user_model()._meta.label_lower
    return AuditEvent.objects.filter(Q(actor_id=user.pk) | Q(target_type=user_type, target_id=str(user.pk))).order_by(
        "-created_at", "-id"
    )
