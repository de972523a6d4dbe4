"""Taking an upload in: every check before a byte is stored, then one row and the processing task."""

from __future__ import annotations

import hashlib
import uuid
from functools import partial
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from files import policies, processing, scanning, storage, validation
from files.errors import FileError, refused
from files.models import StoredFile
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError

SNIFF_BYTES = 16


def _too_large(limit: int) -> ApplicationError:
    return refused(FileError.FILE_TOO_LARGE, f"The file is too large (at most {limit // policies.MB} MB).")


def _read(upload: UploadedFile, limit: int) -> bytes:
    """The whole upload (already on disk or in memory: the parser refused oversize bodies first)."""
    upload.seek(0)
    data: bytes = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    return data


def upload_check(*, purpose: str, upload: UploadedFile) -> tuple[bytes, str, processing.ImageInfo | None]:
    """Everything that decides whether an upload is accepted; returns (bytes, content type, image size).

    Order matters: cheap refusals first (name, size, magic number), then the
    structure (nothing hidden after the end, no active content), then, for
    images, the pixel count from the header and a full decode.
    """
    policy = policies.policy_for(purpose)
    if getattr(upload, "name_was_unsafe", False):
        raise refused(FileError.NAME_INVALID, "The file name is not acceptable (no paths or control characters).")
    limit = policies.max_bytes(purpose)
    if upload.size is not None and upload.size > limit:
        raise _too_large(limit)
    data = _read(upload, limit)
    if not data:
        raise refused(FileError.EMPTY, "The file is empty.")
    content_type = validation.sniff(data[:SNIFF_BYTES])
    if content_type is None:
        raise refused(FileError.UNSUPPORTED_TYPE, "This type of file is not accepted (JPEG, PNG, WebP or PDF).")
    if content_type not in policy.types:
        allowed = ", ".join(sorted(policies.EXTENSIONS[kind].upper() for kind in policy.types))
        raise refused(FileError.TYPE_NOT_ALLOWED, f"A {purpose} must be one of: {allowed}.")
    validation.check_structure(data, content_type)
    info = processing.image_inspect(data, content_type) if content_type in policies.IMAGE_TYPES else None
    return data, content_type, info


def file_create(*, owner: Any, purpose: str, upload: UploadedFile) -> StoredFile:
    """Check, store privately, record, and process after commit. A refusal stores nothing.

    The object is written before the row is committed (so the task always finds
    it); if the transaction fails the object is deleted again, and a crash in
    between leaves an orphan the hourly sweep removes.
    """
    from files.tasks import file_process_task

    data, content_type, info = upload_check(purpose=purpose, upload=upload)
    policy = policies.policy_for(purpose)
    file_id = uuid.uuid4()
    key = storage.original_key(purpose=purpose, owner_id=owner.pk, file_id=file_id, content_type=content_type)
    storage.put(key, data, content_type=content_type)
    try:
        with transaction.atomic():
            file = StoredFile.objects.create(
                id=file_id,
                owner=owner,
                purpose=purpose,
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                width=info.width if info else None,
                height=info.height if info else None,
                key=key,
                scan=StoredFile.Scan.PENDING if scanning.scanner_configured() else StoredFile.Scan.NOT_SCANNED,
                review=StoredFile.Review.PENDING if policy.reviewed else StoredFile.Review.NOT_REQUIRED,
            )
            audit_record(
                action="file.uploaded",
                actor=owner,
                target=file,
                data={"purpose": purpose, "content_type": content_type, "size": len(data)},
            )
            transaction.on_commit(partial(file_process_task.delay, str(file.pk)))
    except BaseException:
        storage.delete([key])
        raise
    return file
