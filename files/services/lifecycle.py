"""The end of a file: deletion by its owner, staff review, GDPR, and the sweeps that leave nothing behind."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from files import storage
from files.models import StoredFile
from files.selectors import STAFF_VISIBLE
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, ErrorCode

logger = structlog.get_logger("files")

# An object with no row is only an orphan once the upload that wrote it has surely committed or failed.
ORPHAN_GRACE = timedelta(hours=1)
BATCH = 500


def _delete_later(keys: list[str]) -> None:
    """Objects are not transactional: deleted after commit by a task; a failure is left to the sweep."""
    from files.tasks import file_objects_delete_task

    if keys:
        transaction.on_commit(partial(file_objects_delete_task.delay, keys))


def file_delete(*, file: StoredFile, actor: Any) -> None:
    """Delete the row now (the file is gone for everyone at once), and its original and variants after commit."""
    with transaction.atomic():
        locked = StoredFile.objects.select_for_update().filter(pk=file.pk).first()
        if locked is None:
            return
        keys = locked.object_keys()
        file_id, purpose = locked.pk, locked.purpose
        locked.delete()
        audit_record(
            action="file.deleted",
            actor=actor,
            target_type="files.storedfile",
            target_id=file_id,
            data={"purpose": purpose},
        )
        _delete_later(keys)


def file_review(*, file: StoredFile, actor: Any, approved: bool) -> StoredFile:
    """Staff's verdict on an ID document or a certification; an approved certification joins the public profile."""
    with transaction.atomic():
        locked = StoredFile.objects.select_for_update().get(pk=file.pk)
        if locked.purpose not in STAFF_VISIBLE:
            raise ApplicationError(ErrorCode.INVALID, "Only ID documents and certifications are reviewed.")
        if locked.status != StoredFile.Status.READY:
            raise ApplicationError(ErrorCode.CONFLICT, "Only a ready file can be reviewed.")
        locked.review = StoredFile.Review.APPROVED if approved else StoredFile.Review.REJECTED
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["review", "reviewed_by", "reviewed_at", "updated_at"])
        audit_record(action="file.reviewed", actor=actor, target=locked, data={"decision": locked.review})
    return locked


def file_review_reopen(*, file: StoredFile, actor: Any, reason: str) -> bool:
    """Send an approved document back to staff: what it was approved for has changed. True if it was approved.

    An approval covers the record the document backs as it was when staff looked (a certification's
    kind and dates): once that record changes, the approval no longer says anything about it.
    """
    with transaction.atomic():
        reopened = StoredFile.objects.filter(pk=file.pk, review=StoredFile.Review.APPROVED).update(
            review=StoredFile.Review.PENDING, reviewed_by=None, reviewed_at=None, updated_at=timezone.now()
        )
        if reopened:
            file.refresh_from_db(fields=["review", "reviewed_by", "reviewed_at", "updated_at"])
            audit_record(action="file.review_reopened", actor=actor, target=file, data={"reason": reason})
    return bool(reopened)


# --- GDPR ------------------------------------------------------------------------------------


def files_export(user: Any) -> dict[str, Any]:
    """What we hold: one entry per file (the files themselves are downloadable through the API)."""
    return {
        "files": [
            {
                "id": str(file.pk),
                "purpose": file.purpose,
                "status": file.status,
                "scan": file.scan,
                "review": file.review,
                "content_type": file.content_type,
                "size": file.size,
                "created_at": file.created_at.isoformat(),
            }
            for file in StoredFile.objects.filter(owner=user).order_by("created_at")
        ]
    }


def files_erase(user: Any) -> None:
    """In the erase transaction: detach every file from the account (nobody can see them any more).

    The objects are deleted right after commit by the purge task, and by the
    hourly beat job should that fail.
    """
    from files.tasks import file_purge_detached_task

    detached = StoredFile.objects.filter(owner=user).update(owner=None, detached_at=timezone.now())
    if detached:
        transaction.on_commit(file_purge_detached_task.delay)


def _purge(file_id: UUID, **conditions: Any) -> list[str]:
    """Delete one row if it still meets ``conditions``; its object keys, or [] when it did not."""
    with transaction.atomic():
        locked = StoredFile.objects.select_for_update(skip_locked=True).filter(pk=file_id, **conditions).first()
        if locked is None:
            return []
        keys = locked.object_keys()
        locked.delete()
        audit_record(action="file.purged", target_type="files.storedfile", target_id=file_id)
    return keys


def file_purge_detached() -> int:
    """Delete the files of erased accounts, and rejected files past ``FILES_REJECTED_RETENTION_DAYS``."""
    retention = timedelta(days=int(getattr(settings, "FILES_REJECTED_RETENTION_DAYS", 30)))
    purged = 0
    detached = StoredFile.objects.filter(owner__isnull=True).values_list("pk", flat=True)
    for file_id in list(detached[:BATCH]):
        if keys := _purge(file_id, owner__isnull=True):
            storage.delete(keys)
            purged += 1
    old_rejected = StoredFile.objects.filter(
        status=StoredFile.Status.REJECTED, updated_at__lt=timezone.now() - retention
    ).values_list("pk", flat=True)
    for file_id in list(old_rejected[:BATCH]):
        if keys := _purge(file_id, status=StoredFile.Status.REJECTED):
            storage.delete(keys)
            purged += 1
    return purged


def file_orphans_purge(*, grace: timedelta = ORPHAN_GRACE) -> int:
    """Delete objects under ``files/`` that no row points at (older than ``grace``); returns how many.

    Orphans come from a crash between writing an object and committing its row,
    a deletion task that failed, or a row deleted outside the services.
    """
    cutoff = timezone.now() - grace
    candidates: dict[str, list[str]] = defaultdict(list)
    deleted = 0
    for item in storage.listing():
        if item.modified >= cutoff:
            continue
        file_id = storage.file_id_of(item.key)
        if file_id is None:
            logger.warning("files_unknown_object", key=item.key)
            continue
        candidates[file_id].append(item.key)
        if len(candidates) >= BATCH:
            deleted += _delete_unreferenced(candidates)
            candidates.clear()
    if candidates:
        deleted += _delete_unreferenced(candidates)
    return deleted


def _delete_unreferenced(candidates: dict[str, list[str]]) -> int:
    ids = [file_id for file_id in candidates if _is_uuid(file_id)]
    referenced: set[str] = set()
    for file in StoredFile.objects.filter(pk__in=ids).only("key", "variants"):
        referenced.update(file.object_keys())
    orphans = [key for keys in candidates.values() for key in keys if key not in referenced]
    storage.delete(orphans)
    return len(orphans)


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True
