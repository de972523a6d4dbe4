"""Image processing in the Celery task: metadata stripped, orientation applied, resized, thumbnails, WebP."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from rest_framework.test import APIClient

from files import storage
from files.models import StoredFile
from files.services import file_process
from files.tasks import file_process_task
from files.tests import samples
from files.tests.conftest import stored_keys
from files.tests.helpers import audit_actions, process, ready, uploaded

pytestmark = pytest.mark.django_db

VARIANTS = {"display", "display_webp", "small", "small_webp", "medium", "medium_webp"}


def open_variant(file: StoredFile, name: str) -> Image.Image:
    return Image.open(io.BytesIO(storage.read(file.variants[name]["key"])))


def test_a_jpeg_with_gps_comes_out_without_it_and_upright(parent_api: APIClient, parent: Any) -> None:
    original = samples.jpeg(1200, 800, gps=True, orientation=6)  # a phone held upright: rotate 90°
    assert samples.exif_of(original)["gps"], "the sample must carry GPS for this test to mean anything"

    file = ready(parent_api, original, "message_attachment")

    assert file.status == "ready" and set(file.variants) == VARIANTS
    for name in VARIANTS:
        data = storage.read(file.variants[name]["key"])
        exif = samples.exif_of(data)
        assert exif["gps"] == {} and exif["base"] == {}, name
        assert b"Exif" not in data and b"TestPhone" not in data, name
        assert "icc_profile" not in exif["info"] and "exif" not in exif["info"], name
    display = open_variant(file, "display")
    assert display.format == "JPEG"
    assert display.size == (800, 1200)  # orientation applied: portrait now
    assert display.getpixel((display.width - 5, 5))[0] > 200  # the red corner moved to the top right
    # The original with its GPS is not kept for chat pictures: only the stripped variants remain.
    assert file.key == ""
    assert all(key.startswith(f"files/private/message_attachment/{parent.pk}/{file.pk}/") for key in stored_keys())
    assert len(stored_keys()) == len(VARIANTS)
    assert audit_actions(file) == ["file.uploaded", "file.ready"]


def test_images_are_resized_to_the_purposes_edge_with_small_and_medium_thumbnails(parent_api: APIClient) -> None:
    file = ready(parent_api, samples.jpeg(3000, 2000), "avatar")

    sizes = {name: (variant["width"], variant["height"]) for name, variant in file.variants.items()}
    assert sizes["display"] == (1024, 683)
    assert sizes["medium"] == (640, 427)
    assert sizes["small"] == (160, 107)
    assert sizes["display_webp"] == sizes["display"]
    assert open_variant(file, "small_webp").format == "WEBP"
    assert file.variants["small_webp"]["content_type"] == "image/webp"


def test_transparency_survives_as_png_and_webp(parent_api: APIClient) -> None:
    file = ready(parent_api, samples.png(alpha=True), "certification")

    assert file.variants["display"]["content_type"] == "image/png"
    assert open_variant(file, "display").mode == "RGBA"
    assert open_variant(file, "medium_webp").mode == "RGBA"
    # ID documents and certifications keep their original, privately.
    assert file.key.startswith("files/private/certification/") and storage.exists(file.key)


def test_a_pdf_is_not_processed_and_keeps_its_original(parent_api: APIClient) -> None:
    file = ready(parent_api, samples.pdf(), "id_document")

    assert file.variants == {}
    assert storage.read(file.key) == samples.pdf()


def test_the_task_is_idempotent(parent_api: APIClient) -> None:
    file = ready(parent_api, samples.jpeg(), "id_document")
    keys_before = stored_keys()

    assert process(file.pk) == "skipped"
    assert file_process(file_id=file.pk) == "skipped"

    assert stored_keys() == keys_before
    assert audit_actions(file).count("file.ready") == 1


def test_a_retried_task_writes_the_same_keys(parent_api: APIClient) -> None:
    """A worker killed after writing variants: the redelivered task overwrites, it does not duplicate."""
    file = uploaded(parent_api, samples.jpeg(), "certification")
    first = file_process(file_id=file.pk)
    StoredFile.objects.filter(pk=file.pk).update(status="pending")  # as if the commit never happened

    second = file_process(file_id=file.pk)

    assert (first, second) == ("ready", "ready")
    assert len(stored_keys()) == 1 + len(VARIANTS)


def test_a_file_deleted_while_processing_leaves_no_variants(parent_api: APIClient) -> None:
    file = uploaded(parent_api, samples.jpeg(), "avatar")
    StoredFile.objects.filter(pk=file.pk).delete()

    assert process(file.pk) == "skipped"
    assert StoredFile.objects.count() == 0


def test_an_image_pillow_cannot_render_is_rejected_not_retried_forever(parent_api: APIClient) -> None:
    file = uploaded(parent_api, samples.jpeg(), "avatar")
    storage.put(file.key, b"\xff\xd8\xff garbage \xff\xd9", content_type="image/jpeg")  # damaged at rest

    assert process(file.pk) == "rejected"

    file.refresh_from_db()
    assert (file.status, file.rejection) == ("rejected", "unprocessable")
    assert file.last_error
    assert file.variants == {}
    assert audit_actions(file)[-1] == "file.rejected"


def test_a_missing_original_is_retried_and_the_file_stays_pending(parent_api: APIClient) -> None:
    file = uploaded(parent_api, samples.jpeg(), "avatar")
    storage.delete([file.key])

    result = file_process_task.apply(args=[str(file.pk)])

    assert result.state in ("RETRY", "FAILURE")
    file.refresh_from_db()
    assert file.status == "pending" and "FileNotFoundError" in file.last_error
