"""Pillow, behind two calls: ``image_inspect`` at upload, ``image_render`` in the Celery task.

Decompression bombs: the size is read from the header (``Image.open`` decodes
nothing) and refused over ``FILES_MAX_PIXELS`` before ``load()``; Pillow's own
``DecompressionBombWarning`` is turned into an error around every open, and
only JPEG, PNG and WebP decoders are ever tried (Pillow's rarer formats have had
bomb and overflow bugs). Metadata never survives: every variant is re-encoded
from pixels after the EXIF orientation is applied, with no EXIF, XMP, ICC or
text chunks written (colours are converted to sRGB first).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps

from files import policies
from files.errors import FileError, refused

# Pillow's names for the formats we accept, by the content type our sniffing decided.
PILLOW_FORMATS = {policies.JPEG: "JPEG", policies.PNG: "PNG", policies.WEBP: "WEBP"}
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int


@dataclass(frozen=True)
class Rendered:
    """One encoded variant: bytes without metadata, and what to store it as."""

    data: bytes
    content_type: str
    width: int
    height: int


@contextmanager
def _open(data: bytes, content_type: str) -> Iterator[Image.Image]:
    """Open with only the sniffed format's decoder; a bomb warning is an error, not a log line."""
    fmt = PILLOW_FORMATS.get(content_type)
    if fmt is None:
        raise refused(FileError.TYPE_NOT_ALLOWED, "This is not an image we accept.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[fmt])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels() from exc
        except (OSError, SyntaxError, ValueError) as exc:  # Pillow's ways of saying "not a valid image"
            raise refused(FileError.CORRUPT, "The image cannot be read.") from exc
        with image:
            yield image


def _too_many_pixels() -> Exception:
    limit = policies.max_pixels()
    return refused(FileError.IMAGE_TOO_LARGE, f"The image has too many pixels (at most {limit:,}).")


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise refused(FileError.CORRUPT, "The image has no pixels.")
    if width * height > policies.max_pixels():
        raise _too_many_pixels()


def image_inspect(data: bytes, content_type: str) -> ImageInfo:
    """Refuse bombs from the header alone, then decode once to find truncated or broken images.

    A JPEG is decoded in draft mode (DCT scaling): every byte is still read, so
    truncation shows, at a fraction of the memory and time.
    """
    with _open(data, content_type) as image:
        _check_pixels(image)
        width, height = image.size
        if image.format == "JPEG":
            image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image.load()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
            raise refused(FileError.CORRUPT, "The image is damaged or truncated.") from exc
    return ImageInfo(width=width, height=height)


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert embedded colour profiles to sRGB so dropping the profile keeps the colours."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: keep the pixels as they are
    return converted if converted is not None else image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _base(data: bytes, content_type: str, edge: int) -> Image.Image:
    """Decoded, oriented, in sRGB, resized to ``edge`` at most, and stripped of every info field."""
    with _open(data, content_type) as image:
        _check_pixels(image)
        if image.format == "JPEG":
            image.draft("RGB", (edge, edge))  # decode at a reduced scale when it is still at least `edge`
        image.seek(0)  # an animation keeps its first frame only
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
        oriented = ImageOps.exif_transpose(image) or image
        mode = "RGBA" if _has_alpha(oriented) else "RGB"
        if oriented.mode != mode:
            icc = oriented.info.get("icc_profile")
            oriented = oriented.convert(mode)
            if icc:
                oriented.info["icc_profile"] = icc
        oriented = _to_srgb(oriented)
        if max(oriented.size) > edge:
            oriented.thumbnail((edge, edge), Image.Resampling.LANCZOS, reducing_gap=3.0)
        # A fresh image from pixels alone: no EXIF, XMP, ICC, comments or text chunks can follow.
        clean = Image.new(oriented.mode, oriented.size)
        clean.paste(oriented)
        return clean


def _encode(image: Image.Image, content_type: str) -> Rendered:
    buffer = io.BytesIO()
    if content_type == policies.JPEG:
        image.convert("RGB").save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    elif content_type == policies.PNG:
        image.save(buffer, "PNG", compress_level=6)
    else:
        image.save(buffer, "WEBP", quality=80, method=2)  # method 4+ costs 1.5x+ for ~2% smaller
    return Rendered(buffer.getvalue(), content_type, image.width, image.height)


def image_render(data: bytes, content_type: str, *, display_edge: int) -> dict[str, Rendered]:
    """Every variant of an image: ``display`` (resized, in its own format), thumbnails, and WebP of each.

    A JPEG stays JPEG and anything with transparency stays PNG (or WebP), so the
    served picture looks like the one uploaded, only without its metadata.
    """
    base = _base(data, content_type, display_edge)
    own_type = content_type if content_type != policies.WEBP else (policies.PNG if _has_alpha(base) else policies.JPEG)
    if own_type == policies.JPEG and _has_alpha(base):
        own_type = policies.PNG
    sizes: dict[str, Image.Image] = {"display": base}
    for name, edge in policies.THUMBNAILS.items():
        thumb = base.copy()
        thumb.thumbnail((edge, edge), Image.Resampling.LANCZOS, reducing_gap=3.0)
        sizes[name] = thumb
    rendered: dict[str, Rendered] = {}
    for name, image in sizes.items():
        rendered[name] = _encode(image, own_type)
        rendered[f"{name}_webp"] = _encode(image, policies.WEBP)
    return rendered
