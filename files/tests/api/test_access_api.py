"""Who may see a file, the signed links (local mode), and the CDN for public variants."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from rest_framework.test import APIClient

from accounts.tests.problems import assert_problem
from conftest import client_for
from files import storage
from files.models import StoredFile
from files.selectors import file_access_rules, file_visible_publicly
from files.services import file_review
from files.tests import samples
from files.tests.helpers import ready

pytestmark = pytest.mark.django_db


def detail(client: APIClient, file: StoredFile) -> Any:
    return client.get(f"/api/v1/files/{file.pk}")


# --- who sees what -------------------------------------------------------------------------------------


def test_the_owner_sees_their_file_with_links(parent_api: APIClient) -> None:
    file = ready(parent_api, samples.jpeg(), "avatar")

    response = detail(parent_api, file)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(file.pk) and body["status"] == "ready" and body["content_type"] == "image/jpeg"
    assert body["url"] and body["thumbnails"]["small"] and body["thumbnails"]["medium"]
    assert body["webp"]["url"] and body["webp"]["small"]
    assert body["expires_in"] == 300
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("purpose", ["avatar", "message_attachment", "id_document", "certification"])
def test_another_family_gets_404_for_every_purpose(parent_api: APIClient, other_parent: Any, purpose: str) -> None:
    file = ready(parent_api, samples.png(), purpose)
    intruder = client_for(other_parent)

    assert_problem(detail(intruder, file), 404, "not_found")
    assert_problem(intruder.delete(f"/api/v1/files/{file.pk}"), 404, "not_found")
    assert StoredFile.objects.filter(pk=file.pk).exists()


@pytest.mark.parametrize(("purpose", "visible"), [("id_document", True), ("certification", True), ("avatar", False)])
def test_staff_see_id_documents_and_certifications_only(
    sitter_api: APIClient, staff_api: APIClient, staff: Any, purpose: str, visible: bool
) -> None:
    file = ready(sitter_api, samples.jpeg(), purpose)

    response = detail(staff_api, file)

    if visible:
        assert response.status_code == 200 and response.json()["url"]
        # staff reading someone's documents leaves a trace the owner sees in security/events
        events = client_for(file.owner).get("/api/v1/security/events").json()["results"]
        assert any(event["action"] == "file.viewed" for event in events), events
    else:
        assert_problem(response, 404, "not_found")
    assert_problem(staff_api.delete(f"/api/v1/files/{file.pk}"), 404, "not_found")  # seeing is not owning


def test_documents_are_served_as_attachments_pictures_inline(parent_api: APIClient) -> None:
    id_scan = ready(parent_api, samples.jpeg(), "id_document")
    photo = ready(parent_api, samples.jpeg(), "message_attachment")

    id_response = parent_api.get(detail(parent_api, id_scan).json()["url"])
    photo_response = parent_api.get(detail(parent_api, photo).json()["url"])

    assert id_response["Content-Disposition"].startswith("attachment;")
    assert photo_response["Content-Disposition"].startswith("inline;")
    assert f"id-document-{str(id_scan.pk)[:8]}.jpg" in id_response["Content-Disposition"]


def test_an_approved_certification_is_public_to_signed_in_users(
    sitter_api: APIClient, sitter: Any, staff: Any, other_parent: Any
) -> None:
    file = ready(sitter_api, samples.pdf(), "certification")
    parent = client_for(other_parent)
    assert not file_visible_publicly(file)
    assert_problem(detail(parent, file), 404, "not_found")  # not before staff approved it

    file_review(file=file, actor=staff, approved=True)
    file.refresh_from_db()

    assert file_visible_publicly(file)
    body = detail(parent, file).json()
    assert body["review"] == "approved" and body["url"]
    assert b"".join(parent.get(body["url"]).streaming_content) == samples.pdf()


def test_file_visible_publicly_only_for_approved_servable_certifications_of_active_accounts(
    sitter_api: APIClient, sitter: Any, staff: Any, settings: Any
) -> None:
    cert = ready(sitter_api, samples.png(), "certification")
    id_doc = ready(sitter_api, samples.png(), "id_document")
    file_review(file=cert, actor=staff, approved=True)
    file_review(file=id_doc, actor=staff, approved=True)
    cert.refresh_from_db()
    id_doc.refresh_from_db()

    assert file_visible_publicly(cert)
    assert not file_visible_publicly(id_doc)  # an ID document is never public, approved or not
    settings.FILES_SERVE_UNSCANNED = False
    assert not file_visible_publicly(cert)  # not servable: not public
    settings.FILES_SERVE_UNSCANNED = True
    sitter.is_active = False
    sitter.save(update_fields=["is_active"])
    cert.refresh_from_db()
    assert not file_visible_publicly(cert)
    file_review(file=cert, actor=staff, approved=False)
    cert.refresh_from_db()
    assert cert.review == "rejected" and not file_visible_publicly(cert)


def test_other_apps_may_add_access_rules(parent_api: APIClient, sitter: Any) -> None:
    """Messaging, for one, lets a chat partner see an attachment."""
    file = ready(parent_api, samples.jpeg(), "message_attachment")
    chat_partner = client_for(sitter)
    assert_problem(detail(chat_partner, file), 404, "not_found")

    file_access_rules.register("tests_chat", lambda f, user: f.pk == file.pk and user.pk == sitter.pk)
    try:
        assert detail(chat_partner, file).status_code == 200
    finally:
        file_access_rules.unregister("tests_chat")


def test_a_detached_file_is_nobodys(parent_api: APIClient, staff_api: APIClient) -> None:
    file = ready(parent_api, samples.pdf(), "id_document")
    StoredFile.objects.filter(pk=file.pk).update(owner=None)

    assert_problem(detail(parent_api, file), 404, "not_found")
    assert_problem(detail(staff_api, file), 404, "not_found")


# --- the signed link of the local mode -----------------------------------------------------------------


def link_parts(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


def test_the_signed_link_serves_private_no_store_without_a_token(parent_api: APIClient, api: APIClient) -> None:
    file = ready(parent_api, samples.jpeg(), "message_attachment")
    url = detail(parent_api, file).json()["url"]
    assert url.startswith("http://testserver/api/v1/files/")

    response = api.get(url)  # no Authorization: an <img> tag can load it

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == storage.read(file.variants["display"]["key"])
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_signed_link_expires_within_ten_minutes(
    parent_api: APIClient, api: APIClient, settings: Any, monkeypatch: Any
) -> None:
    settings.FILES_URL_TTL = 3600  # asking for an hour still gives at most ten minutes
    file = ready(parent_api, samples.jpeg(), "avatar")
    assert detail(parent_api, file).json()["expires_in"] == 600
    url = detail(parent_api, file).json()["url"]
    issued = signing.time.time()

    monkeypatch.setattr(signing.time, "time", lambda: issued + 601)

    assert_problem(api.get(url), 403, "file_link_expired")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda path, q: (path, {**q, "signature": q["signature"][:-2] + "xx"}),
        lambda path, q: (path, {**q, "variant": "original"}),  # another variant with the display's signature
        lambda path, q: (path, {"variant": q["variant"]}),
        lambda path, q: (path.replace(path.split("/")[4], "00000000-0000-0000-0000-000000000001"), q),
    ],
)
def test_a_tampered_link_is_404(parent_api: APIClient, api: APIClient, tamper: Any) -> None:
    file = ready(parent_api, samples.jpeg(), "id_document")
    path, query = tamper(*link_parts(detail(parent_api, file).json()["url"]))

    response = api.get(path, query)

    assert_problem(response, 404, "not_found")


def test_a_link_handed_out_before_a_deletion_opens_nothing(
    parent_api: APIClient, api: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    file = ready(parent_api, samples.jpeg(), "avatar")
    url = detail(parent_api, file).json()["url"]

    with django_capture_on_commit_callbacks(execute=False):
        assert parent_api.delete(f"/api/v1/files/{file.pk}").status_code == 204

    assert_problem(api.get(url), 404, "not_found")


# --- the CDN for public variants -------------------------------------------------------------------------


def test_avatars_come_from_the_cdn_with_content_hashed_names(parent_api: APIClient, settings: Any) -> None:
    settings.FILES_CDN_DOMAIN = "cdn.guardiannest.example"
    file = ready(parent_api, samples.jpeg(), "avatar")

    body = detail(parent_api, file).json()

    small = file.variants["small"]
    assert body["thumbnails"]["small"] == f"https://cdn.guardiannest.example/{small['key']}"
    assert small["key"].startswith("files/public/avatar/")
    # The name carries a hash of the content: a new picture gets a new URL, so a year of caching is safe.
    import hashlib

    digest = hashlib.sha256(storage.read(small["key"])).hexdigest()[:16]
    assert small["key"].endswith(f"/small.{digest}.jpg")


def test_private_files_never_go_through_the_cdn(parent_api: APIClient, settings: Any) -> None:
    settings.FILES_CDN_DOMAIN = "cdn.guardiannest.example"
    file = ready(parent_api, samples.jpeg(), "message_attachment")

    body = detail(parent_api, file).json()

    assert "cdn.guardiannest.example" not in str(body)
    assert body["url"].startswith("http://testserver/api/v1/files/")
    assert all(v["key"].startswith("files/private/") for v in file.variants.values())
