"""A copy of my data: asked for, built by the worker after commit, holding mine and nobody else's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.errors import GdprError
from accounts.models import BackupCode, DataExport, Passkey, TOTPDevice, User
from accounts.services.gdpr import data_export_request
from accounts.tasks.gdpr import data_export_build_task, data_export_purge_expired_task
from accounts.tests.gdpr_helpers import BUILD_TASK, EXPORT
from accounts.tests.helpers import queued, sign_in
from accounts.tests.problems import assert_problem
from conftest import client_for, race
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError
from guardiannest.registries import gdpr_exporters

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def ask_and_build(client: APIClient, captured: Any) -> DataExport:
    """POST the request, check it queued exactly one build of it, and run that build as the worker would."""
    with captured(execute=False) as callbacks:
        response = client.post(EXPORT)
    assert response.status_code == 202, response.content
    export_id = response.json()["id"]
    assert queued(callbacks, BUILD_TASK) == [(export_id,)]
    assert data_export_build_task.apply(args=[export_id]).get() is True
    return DataExport.objects.get(pk=export_id)


def read_file(export: DataExport) -> dict[str, Any]:
    with default_storage.open(export.file_name) as handle:
        document: dict[str, Any] = json.loads(handle.read())
    return document


def test_asking_queues_the_build_after_commit_and_the_status_follows_it(
    parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    client, _ = sign_in(parent)
    # when: asked for; nothing is built inside the request
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(EXPORT)
    assert response.status_code == 202, response.content
    assert set(response.json()) == {"id"}
    export_id = response.json()["id"]
    assert queued(callbacks, BUILD_TASK) == [(export_id,)]
    assert client.get(f"{EXPORT}/{export_id}").json() == {"status": "pending", "download_url": None}
    # when: the worker runs the task
    assert data_export_build_task.apply(args=[export_id]).get() is True
    # then: ready, a short-lived link to our download endpoint, the file under the user's private path
    body = client.get(f"{EXPORT}/{export_id}").json()
    assert body["status"] == "ready"
    assert body["download_url"].startswith(f"http://testserver{EXPORT}/{export_id}/download?signature=")
    export = DataExport.objects.get(pk=export_id)
    assert export.file_name == f"private/gdpr-exports/{parent.pk}/{export_id}.json"
    assert default_storage.exists(export.file_name)
    assert export.expires_at is not None and export.expires_at > timezone.now() + timedelta(hours=1)
    assert export.size_bytes == default_storage.size(export.file_name)


def test_the_file_holds_my_data_and_audit_trail_and_nothing_of_another_user(
    parent: User, other_parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    # given: both families signed in, each leaving sessions and audit events
    sign_in(other_parent, agent="Their Browser/7.0")
    client, _ = sign_in(parent, agent="My Phone/1.0")
    # when
    export = ask_and_build(client, django_capture_on_commit_callbacks)
    document = read_file(export)
    raw = json.dumps(document)
    # then: every app answered under its name, and the accounts part is mine
    assert document["format"] == "guardiannest.data-export/1" and document["user_id"] == str(parent.pk)
    assert set(document["data"]) == {name for name, _ in gdpr_exporters.items()}
    accounts = document["data"]["accounts"]
    assert accounts["profile"]["email"] == parent.email
    assert accounts["profile"]["first_name"] == parent.first_name
    assert [session["user_agent"] for session in accounts["sessions"]] == ["My Phone/1.0"]
    actions = [event["action"] for event in accounts["audit_events"]]
    assert "auth.login_succeeded" in actions and "account.export_requested" in actions
    mine = AuditEvent.objects.filter(actor_id=parent.pk).count()
    assert len([event for event in accounts["audit_events"] if event["by"] == "you"]) == mine
    # nothing of the other family: not their email, id, browser, nor their sign-in
    assert other_parent.email not in raw and str(other_parent.pk) not in raw
    assert "Their Browser" not in raw
    assert actions.count("auth.login_succeeded") == 1


def test_ways_to_sign_in_are_listed_by_name_without_their_secrets(
    parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    TOTPDevice.objects.create(user=parent, name="Authenticator app", key="3132333435363738393031323334353637383930")
    Passkey.objects.create(
        user=parent, name="Work laptop", credential_id="cred-id-secret", public_key=b"k", user_handle="handle-secret"
    )
    BackupCode.objects.create(user=parent, salt="salt-secret", code_hash="hash-secret")
    client = client_for(parent)  # with MFA on, the password alone does not sign in

    export = ask_and_build(client, django_capture_on_commit_callbacks)
    raw = json.dumps(read_file(export))
    devices = read_file(export)["data"]["accounts"]["devices"]

    assert {"type": "totpdevice", "name": "Authenticator app", "confirmed": True} in devices["otp"]
    assert [passkey["name"] for passkey in devices["accounts.passkey"]] == ["Work laptop"]
    assert len(devices["accounts.backupcode"]) == 1
    for secret in ("3132333435", "cred-id-secret", "handle-secret", "salt-secret", "hash-secret"):
        assert secret not in raw


def test_a_second_request_while_one_is_pending_answers_409(parent_api: APIClient, parent: User) -> None:
    assert parent_api.post(EXPORT).status_code == 202

    assert_problem(parent_api.post(EXPORT), 409, GdprError.EXPORT_IN_PROGRESS)
    assert DataExport.objects.filter(user=parent).count() == 1


def test_after_a_finished_export_the_next_waits_the_interval(
    parent: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client, _ = sign_in(parent)
    ask_and_build(client, django_capture_on_commit_callbacks)

    response = client.post(EXPORT)
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60 * 60
    assert DataExport.objects.filter(user=parent).count() == 1
    # the interval is a setting
    settings.GDPR_EXPORT_INTERVAL_MINUTES = 0
    assert client.post(EXPORT).status_code == 202


@pytest.mark.django_db(transaction=True)
def test_racing_requests_start_one_build(parent: User) -> None:
    results = race(6, lambda: data_export_request(user=parent))

    made = [result for result in results if isinstance(result, DataExport)]
    refused = [result for result in results if isinstance(result, ApplicationError)]
    assert len(made) == 1 and len(refused) == 5, results
    assert {error.code for error in refused} == {"export_in_progress"}
    assert DataExport.objects.filter(user=parent).count() == 1


def test_unknown_fields_are_refused_and_nothing_starts(parent_api: APIClient, parent: User) -> None:
    assert_problem(parent_api.post(EXPORT, {"format": "xml"}, format="json"), 400, "invalid")
    assert not DataExport.objects.filter(user=parent).exists()


def test_running_the_build_twice_changes_nothing_the_second_time(
    parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    client, _ = sign_in(parent)
    export = ask_and_build(client, django_capture_on_commit_callbacks)
    before = (export.file_name, export.completed_at, read_file(export))

    assert data_export_build_task.apply(args=[str(export.pk)]).get() is False

    export.refresh_from_db()
    assert (export.file_name, export.completed_at, read_file(export)) == before
    assert AuditEvent.objects.filter(action="account.export_ready", target_id=str(parent.pk)).count() == 1
    # and a build of an export that no longer exists returns quietly
    assert data_export_build_task.apply(args=["00000000-0000-0000-0000-000000000000"]).get() is False


@pytest.fixture
def broken_exporter() -> Iterator[None]:
    def explode(user: User) -> dict[str, Any]:
        raise RuntimeError("the bookings database is down")

    gdpr_exporters.register("tests_broken", explode)
    yield
    gdpr_exporters.unregister("tests_broken")


def test_a_failing_app_marks_the_export_failed_and_lets_the_user_ask_again(
    parent_api: APIClient, parent: User, broken_exporter: None
) -> None:
    export_id = parent_api.post(EXPORT).json()["id"]

    assert data_export_build_task.apply(args=[export_id]).get() is False

    assert parent_api.get(f"{EXPORT}/{export_id}").json() == {"status": "failed", "download_url": None}
    assert not default_storage.exists(f"private/gdpr-exports/{parent.pk}/{export_id}.json")
    assert parent_api.post(EXPORT).status_code == 202  # a failure counts neither as pending nor as done


def test_a_build_that_died_stops_blocking_after_a_while(parent_api: APIClient, parent: User) -> None:
    export_id = parent_api.post(EXPORT).json()["id"]
    DataExport.objects.filter(pk=export_id).update(created_at=timezone.now() - timedelta(hours=1))

    assert parent_api.post(EXPORT).status_code == 202

    assert DataExport.objects.get(pk=export_id).status == "failed"


def test_expired_files_are_deleted_by_the_beat_job(parent: User, django_capture_on_commit_callbacks: Any) -> None:
    client, _ = sign_in(parent)
    export = ask_and_build(client, django_capture_on_commit_callbacks)
    file_name = export.file_name
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert data_export_purge_expired_task.apply().get() == 1
    assert data_export_purge_expired_task.apply().get() == 0  # claimed once

    assert not default_storage.exists(file_name)
    assert client.get(f"{EXPORT}/{export.pk}").json() == {"status": "expired", "download_url": None}


def test_someone_elses_export_status_answers_404(parent_api: APIClient, other_parent: User) -> None:
    export_id = parent_api.post(EXPORT).json()["id"]
    intruder, _ = sign_in(other_parent)

    assert_problem(intruder.get(f"{EXPORT}/{export_id}"), 404, "not_found")
    assert_problem(intruder.get(f"{EXPORT}/00000000-0000-0000-0000-000000000000"), 404, "not_found")


def test_anonymous_callers_get_401(api: APIClient, parent_api: APIClient) -> None:
    export_id = parent_api.post(EXPORT).json()["id"]

    assert_problem(api.post(EXPORT), 401)
    assert_problem(api.get(f"{EXPORT}/{export_id}"), 401)
