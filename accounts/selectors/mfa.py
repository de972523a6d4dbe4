"""Read queries of the MFA subdomain."""

from __future__ import annotations

from accounts.models import BackupCode, User


def mfa_backup_codes_remaining(*, user: User) -> int:
    """How many of the user's backup codes are still unused."""
    return BackupCode.objects.filter(user=user, used_at__isnull=True).count()
