"""Who may see a file, and whether it may be served.

The owner sees their files. Staff see ID documents and certifications (they
review them). A certification approved by staff is part of its sitter's
public profile, so any signed-in user may see it once it may be served. Other
apps may add rules (a chat partner seeing a message attachment) through
``file_access_rules``. Everyone else gets a 404, as if the file did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from files import policies
from files.models import Purpose, StoredFile
from guardiannest.errors import not_found
from guardiannest.registries import Registry

# An app's rule: (file, user) → True to let the user see the file. Registered in its AppConfig.ready.
file_access_rules: Registry[Callable[[StoredFile, Any], bool]] = Registry("file_access_rules")

STAFF_VISIBLE = frozenset({Purpose.ID_DOCUMENT, Purpose.CERTIFICATION})


def file_may_be_served(file: StoredFile) -> bool:
    """Ready, and scanned clean, or not scanned while ``FILES_SERVE_UNSCANNED`` allows it. Infected: never."""
    if file.status != StoredFile.Status.READY or file.owner_id is None:
        return False
    if file.scan == StoredFile.Scan.CLEAN:
        return True
    return file.scan == StoredFile.Scan.NOT_SCANNED and policies.serve_unscanned()


def file_visible_publicly(file: StoredFile) -> bool:
    """Part of a public profile: an approved certification of an active account that may be served."""
    return (
        file.purpose == Purpose.CERTIFICATION
        and file.review == StoredFile.Review.APPROVED
        and file.owner is not None
        and file.owner.is_active
        and file_may_be_served(file)
    )


def file_visible_to(*, file: StoredFile, user: Any) -> bool:
    if file.owner_id is None or user is None or not user.is_authenticated:
        return False
    if file.owner_id == user.pk:
        return True
    if user.is_staff and file.purpose in STAFF_VISIBLE:
        return True
    if file_visible_publicly(file):
        return True
    return any(rule(file, user) for _name, rule in file_access_rules.items())


def file_get_for_user(*, file_id: UUID | str, user: Any) -> StoredFile:
    """The file if ``user`` may see it; not found otherwise (never forbidden: a stranger learns nothing)."""
    file = StoredFile.objects.select_related("owner").filter(pk=file_id, owner__isnull=False).first()
    if file is None or not file_visible_to(file=file, user=user):
        raise not_found()
    return file


def file_get_for_owner(*, file_id: UUID | str, user: Any) -> StoredFile:
    """Only the owner may change or delete a file; anyone else gets not found."""
    file = StoredFile.objects.filter(pk=file_id, owner_id=user.pk).first()
    if file is None:
        raise not_found()
    return file
