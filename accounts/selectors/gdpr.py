"""Read queries of the GDPR subdomain: a user's own data exports."""

from __future__ import annotations

from uuid import UUID

from accounts.models import DataExport, User
from guardiannest.errors import not_found


def data_export_get_for_user(*, export_id: UUID | str, user: User) -> DataExport:
    """The user's own export; anyone else's is simply not found."""
    export = DataExport.objects.filter(pk=export_id, user=user).first()
    if export is None:
        raise not_found()
    return export
