"""Uploading through the API the way the apps do, and running the processing task as a worker would."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from rest_framework.test import APIClient

from files.models import StoredFile
from files.tasks import file_process_task

URL = "/api/v1/files"


def upload(
    client: APIClient,
    data: bytes,
    purpose: str = "avatar",
    *,
    name: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> Any:
    return client.post(
        URL, {"file": SimpleUploadedFile(name, data, content_type=content_type), "purpose": purpose}, format="multipart"
    )


def raw_upload(client: APIClient, data: bytes, purpose: str = "avatar", *, filename: str, **extra: Any) -> Any:
    """A hand-written multipart body: the test client would strip a path from the name before sending."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="purpose"\r\n\r\n'
            f"{purpose}\r\n"
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.generic("POST", URL, body, content_type=f"multipart/form-data; boundary={boundary}", **extra)


def process(file_id: Any) -> str:
    """Run the processing task in this process, as the worker would, and what it left for after commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        result: str = file_process_task.apply(args=[str(file_id)]).get()
    return result


def uploaded(client: APIClient, data: bytes, purpose: str = "avatar", **kwargs: Any) -> StoredFile:
    response = upload(client, data, purpose, **kwargs)
    assert response.status_code == 201, response.content
    return StoredFile.objects.get(pk=response.json()["id"])


def ready(client: APIClient, data: bytes, purpose: str = "avatar", **kwargs: Any) -> StoredFile:
    """Uploaded and processed; on-commit deletions (the dropped original) are run too."""
    file = uploaded(client, data, purpose, **kwargs)
    assert process(file.pk) == "ready"
    file.refresh_from_db()
    return file


def audit_actions(file: StoredFile | Any) -> list[str]:
    """The audit trail of one file, oldest first."""
    from guardiannest.audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(target_type="files.storedfile", target_id=str(file.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# Every state a row may be in, as (status, scan, review): StoredFile's constraints allow exactly these.
FILE_STATES = [
    (status, scan, review)
    for status, scans in (
        ("pending", ("pending", "clean", "not_scanned")),
        ("ready", ("clean", "not_scanned")),
        ("rejected", ("pending", "clean", "infected", "not_scanned")),
    )
    for scan in scans
    for review in ("not_required", "pending", "approved", "rejected")
]


def file_row(*, owner: Any, purpose: str, status: str = "ready", scan: str = "clean", review: str = "") -> StoredFile:
    """A row in one of FILE_STATES, without bytes: for rules that read the row only."""
    file_id = uuid.uuid4()
    return StoredFile.objects.create(
        id=file_id,
        owner=owner,
        purpose=purpose,
        status=status,
        scan=scan,
        review=review or StoredFile.Review.NOT_REQUIRED,
        content_type="image/png",
        size=1024,
        sha256="0" * 64,
        key=f"files/private/{purpose}/{getattr(owner, 'pk', 'none')}/{file_id}/original.png",
    )
