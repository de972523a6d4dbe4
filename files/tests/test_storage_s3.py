"""Production storage: S3 through django-storages and boto3, against a real S3 server on loopback (moto)."""

from __future__ import annotations

import json
import urllib.request
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from files import storage
from files.models import StoredFile
from files.tasks import file_objects_delete_task
from files.tests import samples
from files.tests.conftest import s3_client, stored_keys
from files.tests.helpers import process, ready, uploaded

pytestmark = pytest.mark.django_db
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> tuple[int, Any, bytes]:
    """GET with urllib: the headers answer case-insensitively."""
    with _NO_PROXY.open(url, timeout=10) as response:
        return response.status, response.headers, response.read()


def bucket_keys(s3: dict[str, Any]) -> list[str]:
    listed = s3["client"].list_objects_v2(Bucket=s3["bucket"]).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def test_uploads_land_in_the_bucket_under_owner_and_purpose(
    s3: dict[str, Any], parent_api: APIClient, parent: Any
) -> None:
    file = uploaded(parent_api, samples.jpeg(gps=True), "id_document")

    assert storage.is_s3()
    assert bucket_keys(s3) == [f"files/private/id_document/{parent.pk}/{file.pk}/original.jpg"]
    head = s3["client"].head_object(Bucket=s3["bucket"], Key=file.key)
    assert head["ContentType"] == "image/jpeg"
    assert head["CacheControl"] == "private, no-store"


def test_links_are_presigned_short_and_force_attachment_for_documents(
    s3: dict[str, Any], parent_api: APIClient
) -> None:
    file = ready(parent_api, samples.jpeg(gps=True), "id_document")

    body = parent_api.get(f"/api/v1/files/{file.pk}").json()

    url = body["url"]
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(s3["endpoint"]) and "X-Amz-Signature" in query
    assert int(query["X-Amz-Expires"]) <= 600
    assert query["response-content-disposition"].startswith("attachment;")
    status, headers, content = fetch(url)
    assert status == 200
    assert headers["Content-Disposition"].startswith("attachment;")
    assert headers["Cache-Control"] == "private, no-store"
    assert samples.exif_of(content)["gps"] == {}  # the served picture is the stripped one
    assert content == s3["client"].get_object(Bucket=s3["bucket"], Key=file.variants["display"]["key"])["Body"].read()


def test_pictures_are_presigned_inline(s3: dict[str, Any], parent_api: APIClient) -> None:
    file = ready(parent_api, samples.png(), "message_attachment")

    url = parent_api.get(f"/api/v1/files/{file.pk}").json()["thumbnails"]["small"]

    status, headers, _ = fetch(url)
    assert status == 200 and headers["Content-Disposition"].startswith("inline;")
    assert headers["Content-Type"] == "image/png"


def test_public_variants_carry_long_cache_headers_and_go_through_the_cdn(
    s3: dict[str, Any], parent_api: APIClient, settings: Any
) -> None:
    settings.FILES_CDN_DOMAIN = "https://cdn.guardiannest.example"
    file = ready(parent_api, samples.jpeg(), "avatar")

    medium = file.variants["medium"]["key"]
    head = s3["client"].head_object(Bucket=s3["bucket"], Key=medium)
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert parent_api.get(f"/api/v1/files/{file.pk}").json()["thumbnails"]["medium"] == (
        f"https://cdn.guardiannest.example/{medium}"
    )
    assert not any(key.startswith("files/private/") for key in bucket_keys(s3))  # the GPS-laden original is gone


def test_an_infected_file_moves_to_quarantine_in_the_bucket(
    s3: dict[str, Any], clamav: str, parent_api: APIClient
) -> None:
    file = uploaded(parent_api, samples.pdf(b"% " + samples.EICAR), "certification")

    assert process(file.pk) == "infected"

    file.refresh_from_db()
    assert bucket_keys(s3) == [f"files/quarantine/{file.pk}/original.pdf"] == [file.key]
    assert parent_api.get(f"/api/v1/files/{file.pk}").json()["url"] is None


def test_deleting_removes_the_object_and_its_variants(
    s3: dict[str, Any], parent_api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    file = ready(parent_api, samples.jpeg(), "certification")
    keep = ready(parent_api, samples.png(), "avatar")
    assert len(bucket_keys(s3)) == 1 + 6 + 6

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert parent_api.delete(f"/api/v1/files/{file.pk}").status_code == 204
    assert [cb.func for cb in callbacks] == [file_objects_delete_task.delay]
    file_objects_delete_task.apply(args=callbacks[0].args)

    assert not StoredFile.objects.filter(pk=file.pk).exists()
    assert bucket_keys(s3) == sorted(keep.object_keys())


def test_export_media_copies_the_bucket_to_a_folder_and_to_another_bucket(
    s3: dict[str, Any], parent_api: APIClient, tmp_path: Path
) -> None:
    ready(parent_api, samples.pdf(), "id_document")
    ready(parent_api, samples.jpeg(), "certification")
    keys = bucket_keys(s3)
    backup = s3_client(s3["endpoint"])
    backup.create_bucket(Bucket="gn-backup")

    out = StringIO()
    call_command("export_media", str(tmp_path / "backup"), stdout=out)
    call_command("export_media", "s3://gn-backup/nightly", stdout=out)
    again = StringIO()
    call_command("export_media", str(tmp_path / "backup"), stdout=again)

    copied = sorted(
        p.relative_to(tmp_path / "backup").as_posix() for p in (tmp_path / "backup").rglob("*") if p.is_file()
    )
    assert copied == keys
    listed = backup.list_objects_v2(Bucket="gn-backup")["Contents"]
    assert sorted(item["Key"] for item in listed) == [f"nightly/{key}" for key in keys]
    pdf_key = next(key for key in keys if key.endswith(".pdf"))
    assert (tmp_path / "backup" / pdf_key).read_bytes() == samples.pdf()
    assert json.loads(again.getvalue()) == {"copied": 0, "skipped": len(keys), "destination": str(tmp_path / "backup")}


def test_export_media_works_from_the_local_folder_too(parent_api: APIClient, tmp_path: Path) -> None:
    ready(parent_api, samples.pdf(), "id_document")
    out = StringIO()

    call_command("export_media", str(tmp_path / "copy"), stdout=out)

    assert json.loads(out.getvalue())["copied"] == len(stored_keys()) == 1
