"""POST files: what is accepted, and every kind of bad input refused with the right 4xx, leaving nothing behind."""

from __future__ import annotations

import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from accounts.tests.problems import assert_problem
from files import policies
from files.models import StoredFile
from files.tasks import file_process_task
from files.tests import samples
from files.tests.conftest import stored_keys
from files.tests.helpers import URL, audit_actions, raw_upload, upload

pytestmark = pytest.mark.django_db


def assert_nothing_stored() -> None:
    assert StoredFile.objects.count() == 0
    assert stored_keys() == []


# --- accepted ------------------------------------------------------------------------------------


def test_a_photo_is_accepted_pending_and_queued_after_commit(
    parent_api: APIClient, parent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(parent_api, samples.jpeg(gps=True), "avatar")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "status", "scan", "content_type", "size"}
    assert body["status"] == "pending"
    assert body["scan"] == "not_scanned"  # no scanner configured: never "clean"
    assert body["content_type"] == "image/jpeg"
    file = StoredFile.objects.get(pk=body["id"])
    assert file.owner == parent and file.size == body["size"]
    assert file.width == 640 and file.height == 480
    # The original is stored privately under the owner and purpose, named after nothing the client sent.
    assert stored_keys() == [f"files/private/avatar/{parent.pk}/{file.pk}/original.jpg"]
    assert [(cb.func, cb.args) for cb in callbacks] == [(file_process_task.delay, (str(file.pk),))]
    assert "file.uploaded" in audit_actions(file)


def test_a_png_named_jpg_is_taken_for_the_png_it_is(parent_api: APIClient) -> None:
    response = upload(parent_api, samples.png(), "message_attachment", name="holiday.jpg", content_type="image/jpeg")

    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "image/png"
    assert StoredFile.objects.get().key.endswith("/original.png")


def test_a_photo_full_of_entropy_is_not_mistaken_for_a_polyglot(parent_api: APIClient) -> None:
    """Short byte patterns ("<svg", "PK\\5\\6") turn up by chance in compressed pixels: only metadata is searched."""
    data = samples.noisy_jpeg()
    assert b"<" in data and len(data) > 2_000_000

    response = upload(parent_api, data, "message_attachment")

    assert response.status_code == 201, response.content


def test_a_harmless_comment_is_fine(parent_api: APIClient) -> None:
    assert upload(parent_api, samples.jpeg_with_comment(b"Taken at the park"), "avatar").status_code == 201


@pytest.mark.parametrize(
    ("purpose", "data", "content_type"),
    [
        ("avatar", samples.webp(), "image/webp"),
        ("id_document", samples.pdf(), "application/pdf"),
        ("certification", samples.png(alpha=True), "image/png"),
        ("message_attachment", samples.jpeg(), "image/jpeg"),
    ],
)
def test_each_purpose_takes_its_types(parent_api: APIClient, purpose: str, data: bytes, content_type: str) -> None:
    response = upload(parent_api, data, purpose, name="x.bin", content_type="application/octet-stream")

    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == content_type
    file = StoredFile.objects.get()
    assert file.review == ("pending" if purpose in ("id_document", "certification") else "not_required")


# --- refused: type -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "data", "name", "declared", "code"),
    [
        ("avatar", samples.pdf(), "me.jpg", "image/jpeg", "file_type_not_allowed"),
        ("message_attachment", samples.pdf(), "doc.pdf", "application/pdf", "file_type_not_allowed"),
        ("avatar", samples.SVG_WITH_SCRIPT, "me.png", "image/png", "unsupported_file_type"),
        ("avatar", samples.zip_bomb(), "me.jpg", "image/jpeg", "unsupported_file_type"),
        ("id_document", b"GIF89a" + b"\0" * 100, "id.gif", "image/gif", "unsupported_file_type"),
        (
            "id_document",
            b"<html><script>alert(1)</script></html>",
            "id.pdf",
            "application/pdf",
            "unsupported_file_type",
        ),
        # Polyglots: a second file riding after (or inside) a valid one.
        ("avatar", samples.jpeg() + samples.zip_small(), "me.jpg", "image/jpeg", "file_polyglot"),
        ("avatar", samples.png() + b"<script>alert(1)</script>", "me.png", "image/png", "file_polyglot"),
        ("avatar", samples.png(text={"c": "<script>alert(1)</script>"}), "me.png", "image/png", "file_polyglot"),
        ("avatar", samples.webp() + b"trailing", "me.webp", "image/webp", "file_polyglot"),
        ("avatar", samples.jpeg_with_comment(b"<html><script>x</script>"), "me.jpg", "image/jpeg", "file_polyglot"),
        ("avatar", samples.jpeg_with_comment(b"<?php system($_GET['c']); ?>"), "me.jpg", "image/jpeg", "file_polyglot"),
        ("id_document", samples.pdf() + samples.zip_small(), "id.pdf", "application/pdf", "file_polyglot"),
        (
            "id_document",
            samples.pdf(b"/OpenAction << /S /JavaScript /JS (x) >>"),
            "a.pdf",
            "application/pdf",
            "file_active_content",
        ),
        ("id_document", samples.pdf(b"<< /S /J#61vaScript >>"), "a.pdf", "application/pdf", "file_active_content"),
        ("certification", samples.pdf(b"/EmbeddedFile 4 0 R"), "a.pdf", "application/pdf", "file_active_content"),
    ],
)
def test_bad_types_are_415_and_nothing_is_stored(
    parent_api: APIClient, purpose: str, data: bytes, name: str, declared: str, code: str
) -> None:
    response = upload(parent_api, data, purpose, name=name, content_type=declared)

    body = assert_problem(response, 415, code)
    assert body["errors"]["file"]
    assert_nothing_stored()


# --- refused: broken, empty, tricky names ----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "file_empty"),
        (samples.jpeg()[:3000], "file_corrupt"),  # truncated mid-scan
        (samples.jpeg()[:-2], "file_corrupt"),  # no end marker
        (samples.png()[:200], "file_corrupt"),
        (samples.webp()[:100], "file_corrupt"),
        (b"\xff\xd8\xff" + b"\0" * 64 + b"\xff\xd9", "file_corrupt"),  # JPEG magic, no picture
        (b"%PDF-1.4\nno end", "file_corrupt"),
    ],
)
def test_broken_or_empty_files_are_400_and_nothing_is_stored(parent_api: APIClient, data: bytes, code: str) -> None:
    purpose = "id_document"
    body = assert_problem(upload(parent_api, data, purpose, name="x.jpg"), 400, code)

    assert body["errors"]["file"]
    assert_nothing_stored()


@pytest.mark.parametrize(
    "filename",
    ["../../etc/passwd.png", "..\\..\\boot.ini.png", "/etc/cron.d/x.png", "..", "a\x01b.png", "..&#x2F;x.png"],
)
def test_path_tricks_in_names_are_400_and_nothing_is_stored(parent_api: APIClient, filename: str) -> None:
    body = assert_problem(raw_upload(parent_api, samples.png(), filename=filename), 400, "file_name_invalid")

    assert body["errors"]["file"]
    assert_nothing_stored()


def test_a_plain_name_in_a_hand_written_body_is_accepted(parent_api: APIClient) -> None:
    """The control for the test above: the raw body itself is fine."""
    response = raw_upload(parent_api, samples.png(), filename="my photo (1).png")

    assert response.status_code == 201, response.content


def test_unknown_purpose_or_field_or_missing_file_is_400(parent_api: APIClient) -> None:
    file = SimpleUploadedFile("a.png", samples.png(), content_type="image/png")
    assert_problem(upload(parent_api, samples.png(), "passport_scan"), 400, "invalid")
    assert_problem(parent_api.post(URL, {"purpose": "avatar"}, format="multipart"), 400, "invalid")
    response = parent_api.post(URL, {"file": file, "purpose": "avatar", "owner": "x"}, format="multipart")
    assert_problem(response, 400, "invalid")
    assert_problem(parent_api.post(URL, {"purpose": "avatar"}, format="json"), 415, "unsupported_media_type")
    assert_nothing_stored()


def test_anonymous_uploads_are_401(api: APIClient) -> None:
    assert_problem(upload(api, samples.png()), 401)
    assert_nothing_stored()


# --- refused: size ------------------------------------------------------------------------------------


class ExplodingStream:
    """A request body that fails the test if anyone reads it."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def test_a_body_over_the_limit_is_413_before_it_is_read(parent_api: APIClient) -> None:
    too_long = policies.max_body_bytes() + 1

    response = parent_api.generic(
        "POST",
        URL,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(too_long),
        **{"wsgi.input": ExplodingStream()},
    )

    assert_problem(response, 413, "request_too_large")
    assert_nothing_stored()


def test_a_file_over_its_purposes_limit_is_413(parent_api: APIClient, settings: Any) -> None:
    settings.FILES_MAX_BYTES = {"avatar": 4096}

    body = assert_problem(upload(parent_api, samples.jpeg(), "avatar"), 413, "file_too_large")

    assert "at most" in body["detail"]
    assert_nothing_stored()
    assert upload(parent_api, samples.jpeg(), "message_attachment").status_code == 201  # other purposes keep theirs


def test_an_image_over_the_pixel_limit_is_413_before_decoding(parent_api: APIClient) -> None:
    # 30,000 x 30,000 pixels in 138 bytes: decoding it would take gigabytes.
    body = assert_problem(upload(parent_api, samples.png_bomb(), "avatar", name="x.png"), 413, "image_too_large")

    assert "pixels" in body["detail"]
    assert_nothing_stored()


def test_the_pixel_limit_is_a_setting(parent_api: APIClient, settings: Any) -> None:
    settings.FILES_MAX_PIXELS = 640 * 480 - 1

    assert_problem(upload(parent_api, samples.jpeg(640, 480)), 413, "image_too_large")
    settings.FILES_MAX_PIXELS = 640 * 480
    assert upload(parent_api, samples.jpeg(640, 480)).status_code == 201


def test_pillows_bomb_warning_is_an_error(parent_api: APIClient, settings: Any, monkeypatch: Any) -> None:
    """Pillow only warns between its limit and twice it: here that warning refuses the upload."""
    settings.FILES_MAX_PIXELS = 10**12
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 640 * 480 - 1)  # Pillow's global knob, not our code

    assert_problem(upload(parent_api, samples.jpeg(640, 480)), 413, "image_too_large")
    assert_nothing_stored()


def test_uploads_are_throttled_per_user(parent_api: APIClient, settings: Any, sitter_api: APIClient) -> None:
    settings.FILES_UPLOAD_RATE = "2/hour"
    assert upload(parent_api, samples.png(), name="a.png").status_code == 201
    assert upload(parent_api, samples.png(), name="b.png").status_code == 201

    response = assert_problem(upload(parent_api, samples.png(), name="c.png"), 429, "throttled")

    assert response["status"] == 429
    assert StoredFile.objects.count() == 2
    assert upload(sitter_api, samples.png(), name="d.png").status_code == 201  # someone else's quota


def pdf_with_object_stream(objects: bytes, *, filter_name: bytes = b"/FlateDecode") -> bytes:
    """A PDF 1.5 whose catalog lives in a compressed object stream (``/Type /ObjStm``), as real writers do."""
    body = zlib.compress(objects) if filter_name == b"/FlateDecode" else objects.hex().encode() + b">"
    return (
        b"%PDF-1.5\n"
        b"4 0 obj << /Type /ObjStm /N 1 /First 4 /Filter "
        + filter_name
        + b" /Length "
        + str(len(body)).encode()
        + b" >>\nstream\n"
        + body
        + b"\nendstream\nendobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


@pytest.mark.parametrize(
    "objects",
    [
        b"1 0 << /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>",
        b"1 0 << /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch /F (calc.exe) >> >>",
        b"1 0 << /Type /Catalog /Names << /J#61vaScript 5 0 R >> >>",
    ],
)
def test_a_pdf_hiding_active_content_in_a_compressed_object_stream_is_refused(
    parent_api: APIClient, objects: bytes
) -> None:
    response = upload(
        parent_api, pdf_with_object_stream(objects), "id_document", name="id.pdf", content_type="application/pdf"
    )

    assert_problem(response, 415, "file_active_content")
    assert not StoredFile.objects.exists()


def test_a_pdf_with_an_object_stream_it_cannot_read_is_refused(parent_api: APIClient) -> None:
    data = pdf_with_object_stream(b"1 0 << /OpenAction << /JS (x) >> >>", filter_name=b"/ASCIIHexDecode")

    assert_problem(
        upload(parent_api, data, "id_document", name="id.pdf", content_type="application/pdf"),
        415,
        "file_active_content",
    )


def test_a_clean_pdf_with_an_object_stream_is_accepted(parent_api: APIClient) -> None:
    data = pdf_with_object_stream(b"1 0 << /Type /Catalog /Pages 2 0 R >>")

    response = upload(parent_api, data, "id_document", name="id.pdf", content_type="application/pdf")

    assert response.status_code == 201, response.content
