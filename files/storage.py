"""Where the bytes live: the default storage (a local folder, or S3 through django-storages).

The only module of the files app that touches storage objects or boto3.
Keys are built here from owner, purpose and id, never from what the client
named the file::

    files/private/<purpose>/<owner>/<file>/original.<ext>
    files/<private|public>/<purpose>/<owner>/<file>/<variant>.<content hash>.<ext>
    files/quarantine/<file>/original.<ext>

Links: with S3, a presigned GET (at most 10 minutes, disposition and cache
headers forced in the response); locally, our signed view
(``TimestampSigner``, same lifetime). Public variants (avatars) may instead be
served from ``FILES_CDN_DOMAIN``: their keys carry a content hash, so the CDN
may cache them for a year.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.urls import reverse

from files import policies

ROOT = "files"
AREAS = ("private", "public", "quarantine")
_LINK_SALT = "files.content-link"
# Failures worth a retry: the disk or the bucket may be back in a minute.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OSError, BotoCoreError, ClientError)


class AbsoluteUrls(Protocol):
    """Turns a path of ours into the absolute URL the client reached us at (an API passes its request)."""

    def build_absolute_uri(self, location: str | None = None) -> str: ...


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime


# --- keys ------------------------------------------------------------------------------------


def original_key(*, purpose: str, owner_id: Any, file_id: Any, content_type: str) -> str:
    return f"{ROOT}/private/{purpose}/{owner_id}/{file_id}/original.{policies.EXTENSIONS[content_type]}"


def variant_key(
    *, purpose: str, owner_id: Any, file_id: Any, variant: str, digest: str, content_type: str, public: bool
) -> str:
    area = "public" if public else "private"
    ext = policies.EXTENSIONS[content_type]
    return f"{ROOT}/{area}/{purpose}/{owner_id}/{file_id}/{variant}.{digest[:16]}.{ext}"


def quarantine_key(*, file_id: Any, content_type: str) -> str:
    return f"{ROOT}/quarantine/{file_id}/original.{policies.EXTENSIONS.get(content_type, 'bin')}"


def file_id_of(key: str) -> str | None:
    """The file id a key of ours belongs to, or None for a key we did not make."""
    parts = key.split("/")
    if len(parts) == 6 and parts[0] == ROOT and parts[1] in ("private", "public"):
        return parts[4]
    if len(parts) == 4 and parts[0] == ROOT and parts[1] == "quarantine":
        return parts[2]
    return None


def is_public_key(key: str) -> bool:
    return key.startswith(f"{ROOT}/public/")


# --- the backend -----------------------------------------------------------------------------


def _storage() -> Any:
    return default_storage


def is_s3() -> bool:
    from storages.backends.s3 import S3Storage

    return isinstance(default_storage, S3Storage)  # the lazy wrapper answers for what it wraps


def _s3_key(key: str) -> str:
    location = str(getattr(_storage(), "location", "") or "").strip("/")
    return f"{location}/{key}" if location else key


def _client() -> Any:
    return _storage().connection.meta.client


def put(key: str, data: bytes, *, content_type: str) -> None:
    """Write (or overwrite: a retried task writes the same key again) one object."""
    cache_control = policies.PUBLIC_CACHE_CONTROL if is_public_key(key) else policies.PRIVATE_CACHE_CONTROL
    if is_s3():
        _storage().bucket.put_object(Key=_s3_key(key), Body=data, ContentType=content_type, CacheControl=cache_control)
        return
    storage = _storage()
    if storage.exists(key):
        storage.delete(key)
    saved = storage.save(key, ContentFile(data))
    if saved != key:  # pragma: no cover - two workers writing one content-hashed key: it holds the same bytes
        storage.delete(saved)


def read(key: str) -> bytes:
    with _storage().open(key, "rb") as handle:
        data: bytes = handle.read()
    return data


def open_stream(key: str) -> Any:
    return _storage().open(key, "rb")


def exists(key: str) -> bool:
    return bool(_storage().exists(key))


def delete(keys: list[str]) -> None:
    """Delete objects; a missing one is already what we want."""
    storage = _storage()
    for key in keys:
        if key:
            storage.delete(key)


def copy(source: str, target: str) -> None:
    """Copy an object (into quarantine): server-side on S3; the caller deletes the source after commit."""
    if is_s3():
        bucket = _storage().bucket_name
        _client().copy_object(
            Bucket=bucket,
            Key=_s3_key(target),
            CopySource={"Bucket": bucket, "Key": _s3_key(source)},
            CacheControl=policies.PRIVATE_CACHE_CONTROL,
            ContentType="application/octet-stream",
            MetadataDirective="REPLACE",
        )
        return
    put(target, read(source), content_type="application/octet-stream")


def listing(prefix: str = f"{ROOT}/") -> Iterator[StoredObject]:
    """Every object under ``prefix`` (the files app's own by default), with its size and age."""
    storage = _storage()
    if is_s3():
        paginator = _client().get_paginator("list_objects_v2")
        location = str(getattr(storage, "location", "") or "").strip("/")
        for page in paginator.paginate(Bucket=storage.bucket_name, Prefix=_s3_key(prefix)):
            for item in page.get("Contents", []):
                key = str(item["Key"])
                key = key[len(location) + 1 :] if location else key
                yield StoredObject(key, int(item["Size"]), item["LastModified"])
        return
    root = Path(storage.location)
    base = root / prefix if prefix else root
    if not base.exists():
        return
    for folder, _dirs, names in os.walk(base):
        for name in names:
            path = Path(folder) / name
            stat = path.stat()
            yield StoredObject(
                path.relative_to(root).as_posix(), stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)
            )


# --- links -----------------------------------------------------------------------------------


def _link_value(file_id: Any, variant: str) -> str:
    return f"{file_id}.{variant}"


def link_signature(*, file_id: Any, variant: str) -> str:
    """Timestamp and signature only: the view knows the signed value (file and variant) from the URL."""
    value = _link_value(file_id, variant)
    return TimestampSigner(salt=_LINK_SALT).sign(value)[len(value) + 1 :]


def link_check(*, file_id: Any, variant: str, signature: str) -> str:
    """``"ok"``, ``"expired"`` or ``"invalid"`` for a signature from :func:`link_signature`."""
    try:
        TimestampSigner(salt=_LINK_SALT).unsign(
            f"{_link_value(file_id, variant)}:{signature[:200]}", max_age=policies.url_ttl()
        )
    except SignatureExpired:
        return "expired"
    except BadSignature:
        return "invalid"
    return "ok"


def content_disposition(*, attachment: bool, filename: str) -> str:
    kind = "attachment" if attachment else "inline"
    return f"{kind}; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"


def signed_url(
    *,
    key: str,
    file_id: Any,
    variant: str,
    content_type: str,
    attachment: bool,
    filename: str,
    request: AbsoluteUrls | None,
) -> str:
    """A link to one object valid for ``FILES_URL_TTL`` seconds (at most 10 minutes)."""
    ttl = policies.url_ttl()
    if is_s3():
        url: str = _client().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": _storage().bucket_name,
                "Key": _s3_key(key),
                "ResponseContentType": content_type,
                "ResponseContentDisposition": content_disposition(attachment=attachment, filename=filename),
                "ResponseCacheControl": policies.PRIVATE_CACHE_CONTROL,
            },
            ExpiresIn=ttl,
        )
        return url
    path = reverse("files:content", kwargs={"file_id": file_id})
    query = urlencode({"variant": variant, "signature": link_signature(file_id=file_id, variant=variant)})
    return request.build_absolute_uri(f"{path}?{query}") if request is not None else f"{path}?{query}"


def public_url(key: str) -> str | None:
    """The CDN address of a public variant, or None when no CDN is configured (or the key is private)."""
    domain = policies.cdn_domain()
    if not domain or not is_public_key(key):
        return None
    scheme = "" if domain.startswith(("http://", "https://")) else "https://"
    return f"{scheme}{domain}/{quote(_s3_key(key) if is_s3() else key)}"


# --- backup ----------------------------------------------------------------------------------


def copy_all(destination: str, *, prefix: str = "", endpoint_url: str | None = None) -> tuple[int, int]:
    """Copy every object of the storage to a folder or to ``s3://bucket[/prefix]``; (copied, skipped).

    Incremental: an object already there with the same size is skipped, so a
    nightly run copies only what is new.
    """
    target = _Target(destination, endpoint_url=endpoint_url)
    copied = skipped = 0
    for item in listing(prefix):
        if target.size_of(item.key) == item.size:
            skipped += 1
            continue
        target.write(item.key, read(item.key), content_type=mimetypes.guess_type(item.key)[0])
        copied += 1
    return copied, skipped


class _Target:
    """A backup destination: a local folder, or a bucket (same credentials, optionally another endpoint)."""

    def __init__(self, destination: str, *, endpoint_url: str | None) -> None:
        self.s3 = destination.startswith("s3://")
        if self.s3:
            import boto3

            bucket, _, prefix = destination.removeprefix("s3://").partition("/")
            self.bucket, self.prefix = bucket, prefix.strip("/")
            self.client: Any = boto3.client(
                "s3",
                endpoint_url=endpoint_url or getattr(settings, "AWS_S3_ENDPOINT_URL", None) or None,
                aws_access_key_id=getattr(settings, "AWS_ACCESS_KEY_ID", None),
                aws_secret_access_key=getattr(settings, "AWS_SECRET_ACCESS_KEY", None),
                region_name=getattr(settings, "AWS_S3_REGION_NAME", None),
            )
        else:
            self.folder = FileSystemStorage(location=destination)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.s3 and self.prefix else key

    def size_of(self, key: str) -> int | None:
        if self.s3:
            from botocore.exceptions import ClientError

            try:
                return int(self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"])
            except ClientError:
                return None
        return self.folder.size(key) if self.folder.exists(key) else None

    def write(self, key: str, data: bytes, *, content_type: str | None) -> None:
        if self.s3:
            cache_control = policies.PUBLIC_CACHE_CONTROL if is_public_key(key) else policies.PRIVATE_CACHE_CONTROL
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ContentType=content_type or "application/octet-stream",
                CacheControl=cache_control,
            )
            return
        if self.folder.exists(key):
            self.folder.delete(key)
        self.folder.save(key, ContentFile(data))
