"""Copies of a user's data: requested, built by a Celery task, downloaded through a short-lived link."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

import structlog
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.errors import GdprError
from accounts.models import DataExport, User
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, ErrorCode, not_found
from guardiannest.registries import gdpr_exporters

logger = structlog.get_logger("accounts.gdpr")

EXPORT_FORMAT = "guardiannest.data-export/1"
LINK_SALT = "accounts.gdpr.export-download"
# A signed download link lives at most this long, whatever the settings say (SECURITY.md: ≤ 10 minutes).
LINK_MAX_SECONDS = 600
# A pending export older than this is a build that died (task time limit is 300 s): it no longer blocks.
STALE_PENDING = timedelta(minutes=30)


def export_interval() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "GDPR_EXPORT_INTERVAL_MINUTES", 60)))


def export_retention() -> timedelta:
    return timedelta(hours=int(getattr(settings, "GDPR_EXPORT_RETENTION_HOURS", 72)))


def link_seconds() -> int:
    return min(int(getattr(settings, "GDPR_EXPORT_LINK_SECONDS", 300)), LINK_MAX_SECONDS)


# --- export ----------------------------------------------------------------------------------


def data_export_request(*, user: User) -> DataExport:
    """Start building a copy of the user's data; the build runs in a Celery task after commit.

    The user row is locked so two racing requests see each other: one wins, the
    other is refused (``export_in_progress``) while it is pending (the partial
    unique index backs this up). A finished export blocks a new one for
    ``GDPR_EXPORT_INTERVAL_MINUTES`` (``throttled``, saying when to come back):
    building one asks every app for everything, which is not free.
    """
    from accounts.tasks.gdpr import data_export_build_task

    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        DataExport.objects.filter(
            user=user, status=DataExport.Status.PENDING, created_at__lt=now - STALE_PENDING
        ).update(status=DataExport.Status.FAILED, completed_at=now)
        if DataExport.objects.filter(user=user, status=DataExport.Status.PENDING).exists():
            raise _in_progress()
        last = DataExport.objects.filter(user=user).exclude(status=DataExport.Status.FAILED).first()
        if last is not None and last.created_at > now - export_interval():
            wait = int((last.created_at + export_interval() - now).total_seconds()) + 1
            raise ApplicationError(
                ErrorCode.THROTTLED,
                "You asked for a copy of your data recently; try again later.",
                retry_after=wait,
            )
        try:
            with transaction.atomic():
                export = DataExport.objects.create(user=user)
        except IntegrityError as exc:  # the partial unique index: one pending export per user
            raise _in_progress() from exc
        audit_record(action="account.export_requested", actor=user, target=user, data={"export": str(export.pk)})
        # A partial, not a lambda: tests (and readers) can see which task gets which id.
        transaction.on_commit(partial(data_export_build_task.delay, str(export.pk)))
    return export


def _in_progress() -> ApplicationError:
    return ApplicationError(GdprError.EXPORT_IN_PROGRESS, "A copy of your data is already being prepared.")


def export_file_name(export: DataExport) -> str:
    """A private, per-user path; the same for every build of one export, so a retried build overwrites."""
    return f"private/gdpr-exports/{export.user_id}/{export.pk}.json"


def data_export_document(*, user: User) -> dict[str, Any]:
    """Everything every app holds about the user, each app's part under its name."""
    return {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now(),
        "user_id": str(user.pk),
        "data": {name: exporter(user) for name, exporter in gdpr_exporters.items()},
    }


def data_export_build(*, export_id: UUID | str) -> bool:
    """Build and store the file of a pending export; True when this call made it ready.

    Idempotent: a gone or no longer pending export is left alone, and a retried
    build overwrites the same file. Any failure marks the export failed (the
    user may ask again) instead of leaving it pending.
    """
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != DataExport.Status.PENDING:
        return False
    try:
        payload = json.dumps(data_export_document(user=export.user), cls=DjangoJSONEncoder, ensure_ascii=False)
        name = export_file_name(export)
        if default_storage.exists(name):
            default_storage.delete(name)
        stored = default_storage.save(name, ContentFile(payload.encode("utf-8")))
    except Exception:
        logger.exception("data_export_failed", export=str(export_id))
        with transaction.atomic():
            if DataExport.objects.filter(pk=export_id, status=DataExport.Status.PENDING).update(
                status=DataExport.Status.FAILED, completed_at=timezone.now()
            ):
                audit_record(action="account.export_failed", target=export.user, data={"export": str(export_id)})
        return False
    with transaction.atomic():
        locked = DataExport.objects.select_for_update().filter(pk=export_id).first()
        if locked is None or locked.status != DataExport.Status.PENDING:
            # Erased or ended meanwhile: the file must not outlive its row.
            if locked is None or locked.file_name != stored:
                transaction.on_commit(lambda: delete_files([stored]))
            return False
        now = timezone.now()
        locked.status = DataExport.Status.READY
        locked.file_name = stored
        locked.size_bytes = len(payload.encode("utf-8"))
        locked.completed_at = now
        locked.expires_at = now + export_retention()
        locked.save(update_fields=["status", "file_name", "size_bytes", "completed_at", "expires_at"])
        audit_record(action="account.export_ready", target=export.user, data={"export": str(export_id)})
    return True


def data_export_purge_expired() -> int:
    """Delete the files of exports past their expiry and give up on builds that died; returns files deleted.

    Each row is claimed with a conditional update, so two workers never delete
    the same file twice or report it twice.
    """
    now = timezone.now()
    DataExport.objects.filter(status=DataExport.Status.PENDING, created_at__lt=now - STALE_PENDING).update(
        status=DataExport.Status.FAILED, completed_at=now
    )
    purged = 0
    due = DataExport.objects.filter(status=DataExport.Status.READY, expires_at__lt=now).values_list("pk", "file_name")
    for export_id, file_name in due:
        claimed = DataExport.objects.filter(pk=export_id, status=DataExport.Status.READY).update(
            status=DataExport.Status.EXPIRED, file_name=""
        )
        if claimed == 1:
            delete_files([file_name])
            purged += 1
    return purged


# --- the signed download link ------------------------------------------------------------------


def _link_value(export: DataExport) -> str:
    return f"{export.pk}.{export.user_id}"


def data_export_signature(*, export: DataExport) -> str:
    """Only the timestamp and signature: the endpoint knows the signed value (export and owner) from path and caller."""
    value = _link_value(export)
    return TimestampSigner(salt=LINK_SALT).sign(value)[len(value) + 1 :]


def data_export_download_url(*, export: DataExport) -> str | None:
    """A short-lived link to the file, or None until it is ready.

    With S3 configured, a presigned URL of the storage itself (expiring in the
    same time, served as an attachment); otherwise the path of our download
    endpoint with a ``TimestampSigner`` signature, which still wants the
    owner's token (the API makes it absolute).
    """
    if export.status != DataExport.Status.READY or not export.file_name:
        return None
    if getattr(settings, "AWS_STORAGE_BUCKET_NAME", ""):
        disposition = f'attachment; filename="{download_file_name(export)}"'
        s3: Any = default_storage  # S3Storage.url takes presigning arguments Storage.url does not
        url: str = s3.url(
            export.file_name,
            parameters={"ResponseContentDisposition": disposition, "ResponseCacheControl": "no-store"},
            expire=link_seconds(),
        )
        return url
    path = reverse("accounts:data-export-download", kwargs={"export_id": export.pk})
    return f"{path}?signature={data_export_signature(export=export)}"


def data_export_open(*, export: DataExport, signature: str, actor: User) -> Any:
    """Check the link and open the file for the owner; the read is audited."""
    try:
        TimestampSigner(salt=LINK_SALT).unsign(f"{_link_value(export)}:{signature}", max_age=link_seconds())
    except SignatureExpired as exc:
        raise ApplicationError(GdprError.EXPORT_LINK_EXPIRED, "This link has expired; ask for a new one.") from exc
    except BadSignature as exc:
        raise ApplicationError(GdprError.EXPORT_LINK_INVALID, "This link is not valid.") from exc
    if export.status != DataExport.Status.READY or not export.file_name or not default_storage.exists(export.file_name):
        raise not_found()
    audit_record(action="account.export_downloaded", actor=actor, target=actor, data={"export": str(export.pk)})
    return default_storage.open(export.file_name, "rb")


def download_file_name(export: DataExport) -> str:
    created = export.completed_at or export.created_at
    return f"guardiannest-data-{created:%Y-%m-%d}.json"


def delete_files(names: list[str]) -> None:
    """Files are not transactional: deleted after commit, each failure logged and left for the purge."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("data_export_file_delete_failed", file=name)
