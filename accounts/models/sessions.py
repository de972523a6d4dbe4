from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.auth_snapshot import InvalidatingQuerySet

# The JWT claim naming the session a token belongs to (set on every pair by ``accounts.services.auth.tokens_for``).
SESSION_CLAIM = "sid"


# Sign-in methods that prove one factor only. A staff account never holds a session made by one of these:
# staff powers (verifying sitters, reading ID documents, the emergency desk) need a second factor.
# "password+totp", "password+backup_code" and "passkey" (possession plus user verification) prove two.
SINGLE_FACTOR_METHODS = frozenset({"password", "firebase"})


def staff_second_factor_missing(*, is_staff: bool, method: str) -> bool:
    """Whether a session signed in by ``method`` is refused to an account because it is staff."""
    return is_staff and method in SINGLE_FACTOR_METHODS


class UserSession(models.Model):
    """One signed-in device: a refresh-token family, from sign-in to its end.

    Each rotation leaves the family's id (the ``sid`` claim) unchanged and
    records the newest refresh token's id here, so ending the session can kill
    the one refresh token still alive. An access token is good only while its
    session is: API authentication loads the user and checks the session in
    one query (``UserManager.get_for_authentication``).
    """

    class EndReason(models.TextChoices):
        LOGOUT = "logout"
        REVOKED = "revoked"
        PASSWORD_CHANGED = "password_changed"
        PASSWORD_RESET = "password_reset"
        DEACTIVATED = "deactivated"
        ERASED = "erased"
        # A refresh token already rotated was presented again: two holders, so neither keeps the session.
        REFRESH_REUSED = "refresh_reused"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=20, default="password", help_text="How the user signed in.")
    authenticated_at = models.DateTimeField(
        default=timezone.now,
        help_text="When the user last proved themselves here (sign-in or step-up); a refresh does not count.",
    )
    refresh_jti = models.CharField(max_length=255, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)

    # Bulk writes make the user's authentication snapshots stale (accounts.auth_snapshot), as signals do for one row.
    objects = InvalidatingQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "ended_at"], name="accounts_session_user_active")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.user_agent[:40]}"

    @property
    def active(self) -> bool:
        return self.ended_at is None
