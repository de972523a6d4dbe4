"""Files made for the tests: real images (with GPS EXIF, rotated, transparent), PDFs, and bad input."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Any

from PIL import ExifTags, Image

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GPS_LATITUDE = (52.0, 31.0, 12.5)


def picture(width: int = 640, height: int = 480, mode: str = "RGB") -> Image.Image:
    """A picture with structure (so encoders do real work): a gradient with a marked top-left corner."""
    image = Image.linear_gradient("L").resize((width, height)).convert(mode)
    corner = (255, 0, 0, 255)[: len(mode)] if mode in ("RGB", "RGBA") else 255
    image.paste(corner, (0, 0, max(1, width // 4), max(1, height // 8)))
    if mode == "RGBA":  # really transparent: fading out from left to right
        image.putalpha(Image.linear_gradient("L").rotate(90).resize((width, height)))
    return image


def jpeg(width: int = 640, height: int = 480, *, gps: bool = False, orientation: int | None = None) -> bytes:
    """A JPEG, optionally carrying GPS coordinates and an EXIF orientation, as phones write them."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 1.0)
    buffer = io.BytesIO()
    picture(width, height).save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def noisy_jpeg(width: int = 2000, height: int = 1500) -> bytes:
    """Photo-like entropy: the compressed data holds every short byte pattern somewhere."""
    image = Image.effect_noise((width, height), 80).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def jpeg_with_comment(comment: bytes) -> bytes:
    """A JPEG whose COM segment says ``comment`` (right after the SOI marker)."""
    data = jpeg()
    return data[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + data[2:]


def png(width: int = 320, height: int = 200, *, alpha: bool = False, text: dict[str, str] | None = None) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    picture(width, height, "RGBA" if alpha else "RGB").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def webp(width: int = 320, height: int = 200) -> bytes:
    buffer = io.BytesIO()
    picture(width, height).save(buffer, "WEBP", quality=80)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims a huge picture (900 MP): a decompression bomb."""
    raw = zlib.compress(b"\x00" * (width // 8 + 1) * 16, 9)  # a few rows; the header is what matters
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", raw) + png_chunk(b"IEND", b"")


def pdf(extra: bytes = b"") -> bytes:
    """A minimal one-page PDF; ``extra`` goes into a comment line (scripts, test strings)."""
    return (
        b"%PDF-1.4\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n" + extra + b"\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def zip_bomb() -> bytes:
    """A ZIP that inflates 50 MB of zeros from a few kilobytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * 50 * 1024 * 1024)
    return buffer.getvalue()


def zip_small() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return buffer.getvalue()


SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


def exif_of(data: bytes) -> dict[str, Any]:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return {"base": dict(exif), "gps": dict(exif.get_ifd(ExifTags.IFD.GPSInfo)), "info": dict(image.info)}
