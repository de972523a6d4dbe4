"""The download: a short-lived signed link, for the owner only, served as a private attachment."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.signing import TimestampSigner, b62_encode
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.errors import GdprError
from accounts.models import DataExport, User
from accounts.services.gdpr.exports import LINK_SALT, data_export_signature, link_seconds
from accounts.tasks.gdpr import data_export_build_task
from accounts.tests.gdpr_helpers import EXPORT
from accounts.tests.helpers import sign_in
from accounts.tests.problems import assert_problem
from guardiannest.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


@pytest.fixture
def owner(parent: User) -> APIClient:
    client, _ = sign_in(parent)
    return client


@pytest.fixture
def export(owner: APIClient) -> DataExport:
    export_id = owner.post(EXPORT).json()["id"]
    data_export_build_task.apply(args=[export_id]).get()
    return DataExport.objects.get(pk=export_id)


def download_url(client: APIClient, export: DataExport) -> str:
    url: str = client.get(f"{EXPORT}/{export.pk}").json()["download_url"]
    return url


def with_signature(export: DataExport, signature: str) -> str:
    return f"{EXPORT}/{export.pk}/download?signature={signature}"


def signed_seconds_ago(export: DataExport, seconds: int) -> str:
    """The signature our link would carry had it been made ``seconds`` ago (same key, same salt)."""

    class Earlier(TimestampSigner):
        def timestamp(self) -> str:
            return b62_encode(int(time.time()) - seconds)

    value = f"{export.pk}.{export.user_id}"
    return Earlier(salt=LINK_SALT).sign(value)[len(value) + 1 :]


def body_of(response: Any) -> bytes:
    """Reading it all closes the file (the test client closes a streamed response when it is consumed)."""
    return b"".join(response.streaming_content)


def test_the_link_downloads_the_file_as_a_private_attachment(
    owner: APIClient, parent: User, export: DataExport
) -> None:
    response = owner.get(download_url(owner, export))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="guardiannest-data-')
    assert response["Cache-Control"] == "no-store"
    document = json.loads(body_of(response))
    assert document["data"]["accounts"]["profile"]["email"] == parent.email
    assert AuditEvent.objects.filter(action="account.export_downloaded", actor_id=parent.pk).count() == 1


def test_the_link_works_whatever_the_client_accepts(owner: APIClient, export: DataExport) -> None:
    response = owner.get(download_url(owner, export), HTTP_ACCEPT="application/octet-stream")

    assert response.status_code == 200
    body_of(response)


def test_a_tampered_signature_is_refused(owner: APIClient, export: DataExport) -> None:
    signature = parse_qs(urlsplit(download_url(owner, export)).query)["signature"][0]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")

    assert_problem(owner.get(with_signature(export, flipped)), 403, GdprError.EXPORT_LINK_INVALID)
    assert_problem(owner.get(with_signature(export, "")), 403, GdprError.EXPORT_LINK_INVALID)
    assert_problem(owner.get(f"{EXPORT}/{export.pk}/download"), 403, GdprError.EXPORT_LINK_INVALID)
    assert not AuditEvent.objects.filter(action="account.export_downloaded").exists()


def test_a_link_to_another_export_does_not_open_this_one(owner: APIClient, export: DataExport, settings: Any) -> None:
    settings.GDPR_EXPORT_INTERVAL_MINUTES = 0
    second_id = owner.post(EXPORT).json()["id"]
    data_export_build_task.apply(args=[second_id]).get()
    second = DataExport.objects.get(pk=second_id)

    assert_problem(
        owner.get(with_signature(export, data_export_signature(export=second))), 403, GdprError.EXPORT_LINK_INVALID
    )


def test_an_expired_link_is_refused(owner: APIClient, export: DataExport) -> None:
    fresh = signed_seconds_ago(export, link_seconds() - 30)
    stale = signed_seconds_ago(export, link_seconds() + 1)

    assert owner.get(with_signature(export, fresh)).status_code == 200
    assert_problem(owner.get(with_signature(export, stale)), 403, GdprError.EXPORT_LINK_EXPIRED)


def test_links_never_live_longer_than_ten_minutes(settings: Any) -> None:
    settings.GDPR_EXPORT_LINK_SECONDS = 3600
    assert link_seconds() == 600
    settings.GDPR_EXPORT_LINK_SECONDS = 120
    assert link_seconds() == 120


def test_someone_else_with_my_link_gets_404(owner: APIClient, export: DataExport, other_parent: User) -> None:
    intruder, _ = sign_in(other_parent)

    assert_problem(intruder.get(download_url(owner, export)), 404, "not_found")


def test_the_link_alone_is_not_enough(api: APIClient, owner: APIClient, export: DataExport) -> None:
    assert_problem(api.get(download_url(owner, export)), 401)


def test_an_export_that_is_not_ready_has_no_file(owner: APIClient, parent: User, settings: Any) -> None:
    export = DataExport.objects.create(user=parent)

    assert owner.get(f"{EXPORT}/{export.pk}").json()["download_url"] is None
    assert_problem(owner.get(with_signature(export, data_export_signature(export=export))), 404, "not_found")


def test_with_s3_the_link_is_a_presigned_attachment_of_at_most_ten_minutes(
    parent: User, parent_api: APIClient, settings: Any
) -> None:
    # given: S3 as the default storage (presigning is computed locally: no request leaves)
    settings.AWS_STORAGE_BUCKET_NAME = "gn-private"
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = "AKIATESTTESTTEST", "test-secret"
    settings.AWS_S3_REGION_NAME = "eu-west-1"
    settings.AWS_QUERYSTRING_AUTH = True
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    settings.GDPR_EXPORT_LINK_SECONDS = 3600  # asked for longer: capped
    now = timezone.now()
    export = DataExport.objects.create(
        user=parent, status="ready", file_name="private/x.json", completed_at=now, expires_at=now + timedelta(days=1)
    )
    # when
    url = parent_api.get(f"{EXPORT}/{export.pk}").json()["download_url"]
    # then
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.scheme == "https" and "gn-private" in parts.netloc + parts.path
    if "X-Amz-Expires" in query:  # signature v4: a lifetime
        assert query["X-Amz-Expires"] == ["600"]
    else:  # signature v2: an instant
        assert 590 <= int(query["Expires"][0]) - time.time() <= 601
    assert query["response-content-disposition"][0].startswith("attachment;")
    assert query["response-cache-control"] == ["no-store"]
    assert "X-Amz-Signature" in query or "Signature" in query
