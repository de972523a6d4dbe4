"""Short-lived links to a file's bytes, and opening the bytes behind our own signed link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from files import policies, storage
from files.errors import FileError
from files.models import StoredFile
from files.selectors import STAFF_VISIBLE, file_may_be_served
from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError, not_found

ORIGINAL = "original"
VARIANTS = ("display", "display_webp", "small", "small_webp", "medium", "medium_webp")


@dataclass(frozen=True)
class Target:
    key: str
    content_type: str
    attachment: bool
    filename: str


def _target(file: StoredFile, variant: str) -> Target | None:
    """The object behind a variant name, served as an attachment for documents and anything not an image."""
    if variant == ORIGINAL:
        key, content_type = file.key, file.content_type
    elif variant in VARIANTS and variant in file.variants:
        key, content_type = str(file.variants[variant]["key"]), str(file.variants[variant]["content_type"])
    else:
        return None
    if not key:
        return None
    attachment = policies.policy_for(file.purpose).documents or not content_type.startswith("image/")
    suffix = "" if variant in (ORIGINAL, "display") else f"-{variant.replace('_', '-')}"
    filename = f"{file.purpose.replace('_', '-')}-{str(file.pk)[:8]}{suffix}.{policies.EXTENSIONS[content_type]}"
    return Target(key, content_type, attachment, filename)


def file_link(*, file: StoredFile, variant: str, request: storage.AbsoluteUrls | None) -> str | None:
    """A URL for one variant if the file may be served: the CDN for public variants, else a signed link."""
    if not file_may_be_served(file):
        return None
    target = _target(file, variant)
    if target is None:
        return None
    return storage.public_url(target.key) or storage.signed_url(
        key=target.key,
        file_id=file.pk,
        variant=variant,
        content_type=target.content_type,
        attachment=target.attachment,
        filename=target.filename,
        request=request,
    )


def file_links(*, file: StoredFile, viewer: Any, request: storage.AbsoluteUrls | None) -> dict[str, Any]:
    """``url``, ``thumbnails`` and ``webp`` for the API; all null until the file may be served.

    Images are served from their processed variants (stripped of metadata),
    never from the original; a PDF is served as uploaded, as an attachment.
    Staff opening someone's ID document or certification is audited.
    """

    def link(variant: str) -> str | None:
        return file_link(file=file, variant=variant, request=request)

    servable = file_may_be_served(file)
    viewer_is_staff = viewer is not None and viewer.is_staff and viewer.pk != file.owner_id
    if servable and viewer_is_staff and file.purpose in STAFF_VISIBLE:
        # On the owner's account, like the family's audited reads: it shows in their security/events.
        audit_record(
            action="file.viewed",
            actor=viewer,
            target=file.owner,
            data={"file_id": str(file.pk), "purpose": file.purpose},
        )
    if file.is_image:
        url = link("display")
        thumbnails = {"small": link("small"), "medium": link("medium")}
        webp = {"url": link("display_webp"), "small": link("small_webp"), "medium": link("medium_webp")}
    else:
        url = link(ORIGINAL)
        thumbnails = {"small": None, "medium": None}
        webp = {"url": None, "small": None, "medium": None}
    return {
        "url": url,
        "thumbnails": thumbnails,
        "webp": webp,
        "expires_in": policies.url_ttl() if servable else None,
    }


def file_open_signed(*, file_id: UUID | str, variant: str, signature: str) -> tuple[Any, Target]:
    """Open the bytes behind one of our signed links (embedded mode). Anything not right is not found.

    A genuine but expired link is refused (``file_link_expired``, forbidden) so
    the app knows to fetch a fresh one. The file is re-checked on every open: a link
    handed out before a deletion or a quarantine opens nothing.
    """
    verdict = storage.link_check(file_id=file_id, variant=variant, signature=signature)
    if verdict == "expired":
        raise ApplicationError(FileError.LINK_EXPIRED, "This link has expired; fetch the file again.")
    if verdict != "ok":
        raise not_found()
    file = StoredFile.objects.filter(pk=file_id).first()
    if file is None or not file_may_be_served(file):
        raise not_found()
    target = _target(file, variant)
    if target is None or not storage.exists(target.key):
        raise not_found()
    return storage.open_stream(target.key), target
