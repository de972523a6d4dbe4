"""Who may see a file, whether it may be served, and whether its owner may use it.

The owner sees their files. Staff see ID documents and certifications (they
review them). A certification approved by staff is part of its sitter's
public profile, so any signed-in user may see it once it may be served. Other
apps may add rules (a chat partner seeing a message attachment) through
``file_access_rules``. Everyone else is told "not found", as if the file did not exist.

Every record that points at an upload (a profile photo, an ID document, a
certification's scan, a chat attachment) takes it through
:func:`file_get_usable`, the one rule of which uploads may be used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from files import policies
from files.models import Purpose, StoredFile
from guardiannest.errors import ErrorCode, ErrorCodes, invalid, not_found
from guardiannest.registries import Registry

# An app's rule: (file, user) → True to let the user see the file. Registered in its AppConfig.ready.
file_access_rules: Registry[Callable[[StoredFile, Any], bool]] = Registry("file_access_rules")

STAFF_VISIBLE = frozenset({Purpose.ID_DOCUMENT, Purpose.CERTIFICATION})

STILL_CHECKED = "This upload is still being checked: use it once it is ready."
REJECTED = "This upload was rejected: upload the file again."


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


def file_get_usable(
    *, file_id: UUID | str, owner_id: Any, purpose: str, field: str, code: ErrorCodes = ErrorCode.INVALID
) -> StoredFile:
    """The owner's upload of ``purpose`` that a record may point at; bad input naming ``field`` otherwise.

    Usable: ``ready`` (the scan found it clean, or no scanner is configured
    and it is ``not_scanned``, as in the embedded default: the database allows
    nothing else to be ready) and not rejected by staff. A file still being
    scanned or processed is not usable yet: it may turn out infected, and an
    image has no variants to show. A rejected file (infected, unprocessable,
    or turned down by staff) never is. Whether a usable file is served right
    now is :func:`file_may_be_served`'s rule (``FILES_SERVE_UNSCANNED``), read
    each time it is shown.

    Someone else's file, a file of another purpose, a detached one and no file
    at all get the same answer, so ids cannot be probed. ``code`` is the
    caller's code for its field (``unknown_attachment``, ``document_invalid`` …).
    """
    missing = invalid(field, f"No upload of yours with the purpose {purpose} has this id.", code)
    try:
        pk = UUID(str(file_id))
    except ValueError:
        raise missing from None
    file = StoredFile.objects.filter(pk=pk, owner_id=owner_id, purpose=purpose).first() if owner_id else None
    if file is None:
        raise missing
    rejected = file.status == StoredFile.Status.REJECTED or file.review == StoredFile.Review.REJECTED
    if file.status == StoredFile.Status.READY and not rejected:
        return file
    raise invalid(field, REJECTED if rejected else STILL_CHECKED, code)
