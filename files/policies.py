"""What each purpose accepts and how its files are kept: types, sizes, pixels, privacy, disposition.

Limits read the settings at call time (``FILES_MAX_BYTES``, ``FILES_MAX_PIXELS``,
``FILES_URL_TTL``), so an operator can tune them and a test can shrink them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.conf import settings

from files.models import Purpose

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
IMAGE_TYPES = frozenset({JPEG, PNG, WEBP})
EXTENSIONS = {JPEG: "jpg", PNG: "png", WEBP: "webp", PDF: "pdf"}
MB = 1024 * 1024

# Multipart framing (boundaries, part headers, the purpose field) on top of the file itself.
MULTIPART_OVERHEAD = 64 * 1024
# A signed link never lives longer than this, whatever the settings say (SECURITY.md: ≤ 10 minutes).
URL_TTL_MAX = 600
# Public variants are named by their content hash, so they may be cached for a year.
PUBLIC_CACHE_CONTROL = "public, max-age=31536000, immutable"
PRIVATE_CACHE_CONTROL = "private, no-store"

# Thumbnails, by the longest edge in pixels.
THUMBNAILS = {"small": 160, "medium": 640}


@dataclass(frozen=True)
class Policy:
    purpose: str
    types: frozenset[str]
    max_bytes: int
    display_edge: int  # the served image is resized so its longest edge is at most this
    public_variants: bool  # variants may be served from the CDN without a signature
    keep_original: bool  # the uploaded bytes are kept (privately) after processing
    documents: bool  # served as an attachment, never inline
    reviewed: bool  # staff review it in the admin


_STAFF_REVIEWED_DOCUMENT = Policy(
    Purpose.ID_DOCUMENT,
    IMAGE_TYPES | {PDF},
    15 * MB,
    3000,
    public_variants=False,
    keep_original=True,
    documents=True,
    reviewed=True,
)

POLICIES: dict[str, Policy] = {
    Purpose.AVATAR: Policy(
        Purpose.AVATAR,
        IMAGE_TYPES,
        10 * MB,
        1024,
        public_variants=True,
        keep_original=False,
        documents=False,
        reviewed=False,
    ),
    Purpose.ID_DOCUMENT: _STAFF_REVIEWED_DOCUMENT,
    # Kept and reviewed exactly as ID documents are.
    Purpose.CERTIFICATION: replace(_STAFF_REVIEWED_DOCUMENT, purpose=Purpose.CERTIFICATION),
    Purpose.MESSAGE_ATTACHMENT: Policy(
        Purpose.MESSAGE_ATTACHMENT,
        IMAGE_TYPES,
        15 * MB,
        2048,
        public_variants=False,
        keep_original=False,
        documents=False,
        reviewed=False,
    ),
}


def policy_for(purpose: str) -> Policy:
    return POLICIES[purpose]


def max_bytes(purpose: str) -> int:
    """The purpose's size limit; ``FILES_MAX_BYTES = {"avatar": …}`` overrides the defaults."""
    overrides: dict[str, int] = getattr(settings, "FILES_MAX_BYTES", None) or {}
    return int(overrides.get(purpose, POLICIES[purpose].max_bytes))


def max_body_bytes() -> int:
    """The largest multipart body any purpose may send, checked against Content-Length before reading."""
    return max(max_bytes(purpose) for purpose in POLICIES) + MULTIPART_OVERHEAD


def max_pixels() -> int:
    return int(getattr(settings, "FILES_MAX_PIXELS", 50_000_000))


def url_ttl() -> int:
    return max(1, min(int(getattr(settings, "FILES_URL_TTL", 300)), URL_TTL_MAX))


def serve_unscanned() -> bool:
    return bool(getattr(settings, "FILES_SERVE_UNSCANNED", False))


def cdn_domain() -> str:
    return str(getattr(settings, "FILES_CDN_DOMAIN", "") or "").strip().rstrip("/")
