"""After the upload: scan, quarantine or process, then ready. Runs in Celery, idempotent.

``file_process`` takes an id, re-reads the row and does nothing for a file
that is gone or no longer pending, so a redelivered task is harmless. Each
variant's key is derived from its content, so a retry writes the same keys
again. A scanner that cannot be reached raises ``ScannerUnavailable``: the
task retries with back-off and the file stays ``pending`` (never served) until
a scan answers; the beat job re-queues files left pending.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

import structlog
from django.db import transaction
from django.utils import timezone

from files import policies, processing, scanning, storage
from files.models import StoredFile
from guardiannest.audit.services import audit_record

logger = structlog.get_logger("files")

# A pending file untouched this long had its task lost or failed for good: queue it again.
PENDING_RETRY_AFTER = timedelta(minutes=15)


def file_process(*, file_id: UUID | str) -> str:
    """Scan, then process; returns what happened (``ready``, ``infected``, ``rejected``, ``skipped``, ``gone``)."""
    file = StoredFile.objects.filter(pk=file_id).first()
    if file is None or file.status != StoredFile.Status.PENDING or file.owner_id is None:
        return "skipped"
    if file.scan == StoredFile.Scan.PENDING:
        if not scanning.scanner_configured():
            # The scanner was switched off since the upload: say so, never pretend it is clean.
            file.scan = StoredFile.Scan.NOT_SCANNED
            StoredFile.objects.filter(pk=file.pk, scan=StoredFile.Scan.PENDING).update(scan=file.scan)
        else:
            verdict = scanning.scan_chunks(_chunks(file.key))
            if verdict.infected:
                return "infected" if file_quarantine(file_id=file.pk, signature=verdict.signature) else "skipped"
            file.scan, file.scanned_at = StoredFile.Scan.CLEAN, timezone.now()
            StoredFile.objects.filter(pk=file.pk, scan=StoredFile.Scan.PENDING).update(
                scan=file.scan, scanned_at=file.scanned_at
            )
    variants: dict[str, dict[str, Any]] = {}
    if file.is_image:
        original = storage.read(file.key)  # a storage failure propagates: the task retries
        try:
            rendered = processing.image_render(
                original, file.content_type, display_edge=policies.policy_for(file.purpose).display_edge
            )
        except Exception as exc:  # deterministic: the same bytes fail the same way on every retry
            logger.warning("file_unprocessable", file=str(file.pk), error=exc.__class__.__name__)
            return "rejected" if file_reject_unprocessable(file_id=file.pk, error=exc.__class__.__name__) else "skipped"
        variants = _store_variants(file, rendered)
    return "ready" if _file_ready(file_id=file.pk, variants=variants) else "gone"


def _chunks(key: str, size: int = 256 * 1024) -> Any:
    with storage.open_stream(key) as handle:
        while chunk := handle.read(size):
            yield chunk


def _store_variants(file: StoredFile, rendered: dict[str, processing.Rendered]) -> dict[str, dict[str, Any]]:
    public = policies.policy_for(file.purpose).public_variants
    variants: dict[str, dict[str, Any]] = {}
    for name, item in rendered.items():
        key = storage.variant_key(
            purpose=file.purpose,
            owner_id=file.owner_id,
            file_id=file.pk,
            variant=name,
            digest=hashlib.sha256(item.data).hexdigest(),
            content_type=item.content_type,
            public=public,
        )
        storage.put(key, item.data, content_type=item.content_type)
        variants[name] = {
            "key": key,
            "content_type": item.content_type,
            "size": len(item.data),
            "width": item.width,
            "height": item.height,
        }
    return variants


def _file_ready(*, file_id: UUID, variants: dict[str, dict[str, Any]]) -> bool:
    written = [str(variant["key"]) for variant in variants.values()]
    with transaction.atomic():
        file = StoredFile.objects.select_for_update().filter(pk=file_id).first()
        if file is None or file.status != StoredFile.Status.PENDING or file.owner_id is None:
            # Deleted, erased or finished meanwhile: what we wrote must not outlive the row.
            keep = set(file.object_keys()) if file is not None else set()
            transaction.on_commit(partial(storage.delete, [key for key in written if key not in keep]))
            return False
        dropped: list[str] = []
        if file.is_image and not policies.policy_for(file.purpose).keep_original:
            # The original still carries its EXIF (GPS): only the stripped variants are kept.
            dropped, file.key = [file.key], ""
        file.variants = variants
        file.status = StoredFile.Status.READY
        file.processed_at = timezone.now()
        file.last_error = ""
        file.save(update_fields=["variants", "status", "processed_at", "last_error", "key", "updated_at"])
        audit_record(action="file.ready", target=file, data={"scan": file.scan, "variants": sorted(variants)})
        if dropped:
            transaction.on_commit(partial(storage.delete, dropped))
    return True


def file_quarantine(*, file_id: UUID | str, signature: str) -> bool:
    """An infected file: its bytes move to the quarantine area, it is rejected and never served.

    Copied first, the row changed and committed, the original deleted after
    commit: at no moment does the row point at a key that does not exist.
    """
    file = StoredFile.objects.filter(pk=file_id, status=StoredFile.Status.PENDING).first()
    if file is None:
        return False
    target = storage.quarantine_key(file_id=file.pk, content_type=file.content_type)
    storage.copy(file.key, target)
    with transaction.atomic():
        locked = StoredFile.objects.select_for_update().filter(pk=file_id).first()
        if locked is None or locked.status != StoredFile.Status.PENDING:
            transaction.on_commit(partial(storage.delete, [target]))
            return False
        source, old_variants = locked.key, [str(v["key"]) for v in locked.variants.values()]
        locked.key = target
        locked.variants = {}
        locked.status = StoredFile.Status.REJECTED
        locked.rejection = StoredFile.Rejection.INFECTED
        locked.scan = StoredFile.Scan.INFECTED
        locked.scan_signature = signature[:200]
        locked.scanned_at = timezone.now()
        locked.save()
        audit_record(action="file.quarantined", target=locked, data={"signature": locked.scan_signature})
        transaction.on_commit(partial(storage.delete, [source, *old_variants]))
    return True


def file_reject_unprocessable(*, file_id: UUID | str, error: str) -> bool:
    """Passed the checks but cannot be processed: rejected (and not served), the reason kept for staff."""
    with transaction.atomic():
        file = StoredFile.objects.select_for_update().filter(pk=file_id).first()
        if file is None or file.status != StoredFile.Status.PENDING:
            return False
        file.status = StoredFile.Status.REJECTED
        file.rejection = StoredFile.Rejection.UNPROCESSABLE
        file.last_error = error[:200]
        file.save(update_fields=["status", "rejection", "last_error", "updated_at"])
        audit_record(action="file.rejected", target=file, data={"reason": "unprocessable"})
    return True


def file_process_failed(*, file_id: UUID | str, error: str) -> None:
    """The task gave up for now (scanner or storage down): note why; the file stays pending, unserved."""
    StoredFile.objects.filter(pk=file_id, status=StoredFile.Status.PENDING).update(
        last_error=error[:200], updated_at=timezone.now()
    )


def file_pending_retry() -> int:
    """Beat job: queue again the files left pending (a lost task, a scanner that was down). Returns how many.

    Each file is claimed by a conditional update of ``updated_at``, so two beat
    runs never queue the same file twice in one period.
    """
    from files.tasks import file_process_task

    now = timezone.now()
    cutoff = now - PENDING_RETRY_AFTER
    queued = 0
    stale = StoredFile.objects.filter(
        status=StoredFile.Status.PENDING, updated_at__lt=cutoff, owner__isnull=False
    ).values_list("pk", flat=True)
    for file_id in list(stale[:500]):
        if StoredFile.objects.filter(pk=file_id, status=StoredFile.Status.PENDING, updated_at__lt=cutoff).update(
            updated_at=now
        ):
            transaction.on_commit(partial(file_process_task.delay, str(file_id)))
            queued += 1
    return queued
