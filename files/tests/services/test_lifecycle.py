"""Deletion, GDPR, the beat jobs that leave nothing behind, and staff review."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services.gdpr import user_erase_confirmed
from accounts.tests.problems import assert_problem
from files import storage
from files.models import StoredFile
from files.services import (
    file_orphans_purge,
    file_pending_retry,
    file_purge_detached,
    file_review,
    files_export,
)
from files.tasks import (
    file_objects_delete_task,
    file_orphans_purge_task,
    file_pending_retry_task,
    file_process_task,
    file_purge_detached_task,
)
from files.tests import samples
from files.tests.conftest import stored_keys
from files.tests.helpers import audit_actions, ready, uploaded
from guardiannest.errors import ApplicationError, Refusal
from guardiannest.registries import gdpr_erasers, gdpr_exporters

pytestmark = pytest.mark.django_db


def age(keys: list[str], seconds: int) -> None:
    """Make objects look older (local storage: their modification time)."""
    past = time.time() - seconds
    for key in keys:
        os.utime(storage._storage().path(key), (past, past))


# --- deletion ----------------------------------------------------------------------------------------


def test_the_owner_deletes_a_file_and_its_variants(
    parent_api: APIClient, parent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    file = ready(parent_api, samples.png(), "certification")
    assert len(stored_keys()) == 7

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = parent_api.delete(f"/api/v1/files/{file.pk}")

    assert response.status_code == 204
    assert not StoredFile.objects.filter(pk=file.pk).exists()
    assert_problem(parent_api.get(f"/api/v1/files/{file.pk}"), 404, "not_found")
    assert [(cb.func, sorted(cb.args[0])) for cb in callbacks] == [
        (file_objects_delete_task.delay, sorted(file.object_keys()))
    ]
    file_objects_delete_task.apply(args=callbacks[0].args)
    assert stored_keys() == []
    assert audit_actions(file)[-1] == "file.deleted"
    file_objects_delete_task.apply(args=callbacks[0].args)  # a redelivery is harmless


def test_the_delete_task_touches_only_keys_of_ours(parent_api: APIClient) -> None:
    file = ready(parent_api, samples.pdf(), "id_document")
    storage.put("private/gdpr-exports/x.json", b"{}", content_type="application/json")

    file_objects_delete_task.apply(args=[["private/gdpr-exports/x.json", file.key]])

    assert stored_keys() == ["private/gdpr-exports/x.json"]


# --- GDPR ------------------------------------------------------------------------------------------------


def test_files_are_registered_for_gdpr_export_and_erase() -> None:
    assert "files" in dict(gdpr_exporters.items())
    assert "files" in dict(gdpr_erasers.items())


def test_the_export_lists_my_files_and_nobody_elses(parent_api: APIClient, parent: Any, sitter_api: APIClient) -> None:
    mine = ready(parent_api, samples.png(), "avatar")
    ready(sitter_api, samples.png(), "avatar")

    exported = dict(gdpr_exporters.items())["files"](parent)

    assert exported == files_export(parent)
    assert [entry["id"] for entry in exported["files"]] == [str(mine.pk)]
    assert exported["files"][0]["content_type"] == "image/png"
    assert "key" not in exported["files"][0]


def test_erasing_an_account_detaches_its_files_and_the_purge_deletes_them(
    sitter_api: APIClient, sitter: Any, parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    id_doc = ready(sitter_api, samples.jpeg(), "id_document")
    cert = ready(sitter_api, samples.pdf(), "certification")
    other = ready(parent_api, samples.png(), "avatar")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user_erase_confirmed(user=sitter)

    assert StoredFile.objects.filter(owner__isnull=True).count() == 2
    assert file_purge_detached_task.delay in callbacks
    assert_problem(sitter_api.get(f"/api/v1/files/{cert.pk}"), 401)  # the account is gone; so are its files
    assert file_purge_detached_task.apply().get() == 2
    assert not StoredFile.objects.filter(pk__in=[id_doc.pk, cert.pk]).exists()
    assert stored_keys() == sorted(other.object_keys())
    assert file_purge_detached() == 0


def test_old_rejected_files_are_purged(parent_api: APIClient, settings: Any) -> None:
    settings.FILES_REJECTED_RETENTION_DAYS = 30
    file = uploaded(parent_api, samples.jpeg(), "avatar")
    StoredFile.objects.filter(pk=file.pk).update(status="rejected", rejection="unprocessable")
    assert file_purge_detached() == 0  # recent: kept for staff to look at

    StoredFile.objects.filter(pk=file.pk).update(updated_at=timezone.now() - timedelta(days=31))

    assert file_purge_detached() == 1
    assert stored_keys() == []


# --- orphans and stuck uploads ------------------------------------------------------------------------


def test_orphans_are_deleted_after_a_grace_period_and_referenced_objects_kept(parent_api: APIClient) -> None:
    kept = ready(parent_api, samples.jpeg(), "certification")
    ghost = (
        "files/private/avatar/00000000-0000-0000-0000-000000000009/11111111-1111-1111-1111-111111111111/original.jpg"
    )
    stale_variant = f"files/private/certification/{kept.owner_id}/{kept.pk}/small.0123456789abcdef.jpg"
    fresh_ghost = ghost.replace("original", "display.0000000000000000")
    foreign = "private/gdpr-exports/someone/export.json"
    for key in (ghost, stale_variant, fresh_ghost, foreign):
        storage.put(key, b"x", content_type="application/octet-stream")
    age([ghost, stale_variant, foreign, *kept.object_keys()], 2 * 3600)

    assert file_orphans_purge_task.apply().get() == 2

    assert sorted(stored_keys()) == sorted([*kept.object_keys(), fresh_ghost, foreign])
    assert file_orphans_purge(grace=timedelta(0)) == 1  # the fresh one, once it is old enough


def test_files_left_pending_are_queued_again_once(
    parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    stuck = uploaded(parent_api, samples.jpeg(), "avatar")
    uploaded(parent_api, samples.png(), "avatar")  # fresh: its own task is still on its way
    StoredFile.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert file_pending_retry_task.apply().get() == 1
        assert file_pending_retry() == 0  # claimed: the next run does not queue it twice

    assert [(cb.func, cb.args) for cb in callbacks] == [(file_process_task.delay, (str(stuck.pk),))]


# --- staff review --------------------------------------------------------------------------------------


def test_review_is_for_ready_documents_only(parent_api: APIClient, staff: Any) -> None:
    avatar = ready(parent_api, samples.png(), "avatar")
    pending = uploaded(parent_api, samples.pdf(), "id_document")

    with pytest.raises(ApplicationError) as not_reviewed:
        file_review(file=avatar, actor=staff, approved=True)
    with pytest.raises(ApplicationError) as not_ready:
        file_review(file=pending, actor=staff, approved=True)

    assert (not_reviewed.value.refusal, not_ready.value.refusal) == (Refusal.INVALID, Refusal.CONFLICT)
    assert StoredFile.objects.get(pk=pending.pk).review == "pending"
