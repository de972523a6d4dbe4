"""Files: uploads per second through the API, and image processing time per megapixel.

Run: ``.venv/bin/python bench/files.py`` — prints one JSON object on stdout.

In process: the Django test client drives the WSGI handler with every
middleware, JWT authentication and the throttles (counted in Redis, never
reached), against PostgreSQL (database ``guardiannest_bench_files``, dropped and
created each run, tables made from the models) and Redis db 15; files go to a
temporary local storage. An upload is the whole synchronous path: multipart
parsing, magic-number and structure checks, the pixel check and one decode,
storing the original, the row, the audit event. Processing is
``files.services.file_process`` called directly, as the Celery worker runs it
(no scanner configured): decode, orientation, sRGB, resize to the purpose's
edge, and six encodes (display, small, medium, each also as WebP), stored.
With ``CLAMAV_URL`` set, one clamd INSTREAM scan per size is timed too.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import BENCH_REDIS_URL, app_env, redis_check
from bench._harness import cores, emit, log, summarize

BENCH_DB = "guardiannest_bench_files"
SIZES = {"jpeg_1mp": (1200, 834), "jpeg_4mp": (2400, 1667), "jpeg_12mp": (4000, 3000), "png_4mp": (2400, 1667)}


def _prepare_environment(media: str) -> None:
    redis_check(BENCH_REDIS_URL)
    env = app_env()
    env.update(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}",
            "DATABASE_POOL": "false",
            "REDIS_URL": BENCH_REDIS_URL,
            "CELERY_BROKER_URL": "memory://",  # enqueued tasks stay in this process, nobody runs them
            "VAR_DIR": media,
            "FILES_UPLOAD_RATE": "1000000000/min",
            "FILES_SERVE_UNSCANNED": "true",
        }
    )
    env.pop("CLAMAV_URL", None)
    os.environ.clear()
    os.environ.update(env)


def _recreate_database() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))


def _setup_django() -> None:
    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command

    # Tables straight from the models (the files app may not have its migrations yet).
    settings.MIGRATION_MODULES = {config.label: None for config in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)


def _photo(kind: str) -> bytes:
    from PIL import Image

    width, height = SIZES[kind]
    image = Image.effect_mandelbrot((width, height), (-2.2, -1.2, 0.8, 1.2), 60).convert("RGB")
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    image = Image.blend(image, noise, 0.3)  # texture, so encoders work as on a photo
    buffer = io.BytesIO()
    if kind.startswith("png"):
        image.save(buffer, "PNG")
    else:
        image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def bench_uploads(client: Any, data: dict[str, bytes], count: int) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    results: dict[str, Any] = {}
    for kind, payload in data.items():
        name = "photo.png" if kind.startswith("png") else "photo.jpg"
        timings: list[float] = []
        for index in range(count + 3):
            upload = SimpleUploadedFile(name, payload, content_type="image/jpeg")
            started = time.perf_counter()
            response = client.post("/api/v1/files", {"file": upload, "purpose": "message_attachment"})
            elapsed = time.perf_counter() - started
            if response.status_code != 201:
                raise SystemExit(f"upload answered {response.status_code}: {response.content[:300]!r}")
            if index >= 3:  # warm-up
                timings.append(elapsed * 1000)
        total_s = sum(timings) / 1000
        results[kind] = {
            "bytes": len(payload),
            "megapixels": round(SIZES[kind][0] * SIZES[kind][1] / 1e6, 2),
            "uploads_per_second": round(len(timings) / total_s, 1),
            "latency_ms": summarize(timings),
        }
        log(f"uploads {kind}: {results[kind]['uploads_per_second']}/s")
    return results


def bench_processing(owner: Any, data: dict[str, bytes], rounds: int) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from files.models import StoredFile
    from files.services import file_create, file_process

    results: dict[str, Any] = {}
    for kind, payload in data.items():
        megapixels = SIZES[kind][0] * SIZES[kind][1] / 1e6
        timings: list[float] = []
        for _ in range(rounds):
            file = file_create(owner=owner, purpose="message_attachment", upload=SimpleUploadedFile("p", payload))
            started = time.perf_counter()
            outcome = file_process(file_id=file.pk)
            timings.append((time.perf_counter() - started) * 1000)
            if outcome != "ready":
                raise SystemExit(f"processing ended {outcome}")
        variants = StoredFile.objects.get(pk=file.pk).variants
        median = statistics.median(timings)
        results[kind] = {
            "megapixels": round(megapixels, 2),
            "ms_median": round(median, 1),
            "ms_per_megapixel": round(median / megapixels, 1),
            "variants": len(variants),
            "display_size": [variants["display"]["width"], variants["display"]["height"]],
        }
        log(f"processing {kind}: {results[kind]['ms_per_megapixel']} ms/MP")
    return results


def bench_scan(data: dict[str, bytes], url: str) -> dict[str, Any]:
    from files import scanning

    results: dict[str, Any] = {}
    for kind, payload in data.items():
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            scanning.scan_bytes(payload, url=url)
            timings.append((time.perf_counter() - started) * 1000)
        results[kind] = {"ms_median": round(statistics.median(timings), 1), "bytes": len(payload)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=60, help="measured uploads per size")
    parser.add_argument("--rounds", type=int, default=5, help="processing runs per size")
    args = parser.parse_args()
    clamav_url = os.environ.get("CLAMAV_URL", "")

    with tempfile.TemporaryDirectory(prefix="gn-bench-files-") as media:
        _prepare_environment(media)
        log(f"recreating database {BENCH_DB}")
        _recreate_database()
        _setup_django()

        import PIL
        from django.test import Client

        from accounts.models import User
        from accounts.services.auth import tokens_for

        owner = User.objects.create_user("files.bench@example.com", None, role="parent", first_name="B", last_name="B")
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {tokens_for(owner)['access']}")
        data = {kind: _photo(kind) for kind in SIZES}
        uploads = bench_uploads(client, {k: data[k] for k in ("jpeg_1mp", "jpeg_12mp", "png_4mp")}, args.uploads)
        processing = bench_processing(owner, data, args.rounds)
        scans = bench_scan(data, clamav_url) if clamav_url else None

    import django

    emit(
        {
            "benchmark": "files",
            "how": "in-process Django test client through the WSGI handler (all middleware, JWT, throttles), "
            "PostgreSQL + Redis, local storage; processing = file_process() as the Celery task runs it",
            "cores": cores(),
            "uploads": uploads,
            "processing": processing,
            "scan_clamd": scans,
            "versions": {"django": django.get_version(), "pillow": PIL.__version__, "python": sys.version.split()[0]},
        }
    )


if __name__ == "__main__":
    main()
