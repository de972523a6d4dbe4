"""What an upload really is, from its bytes: type by magic number, structure, hidden payloads.

Nothing here trusts the file name or the declared content type. Each check
refuses with a :class:`~files.errors.FileError`: an unknown or disallowed type, a
file that carries a second file (a polyglot: a ZIP after a JPEG, HTML in a PNG)
and active content (a PDF with JavaScript) are unsupported; broken structure is
invalid. Images are then opened by ``files.processing`` for the pixel limit and
a full decode.
"""

from __future__ import annotations

import re
import struct
import zlib

from files import policies
from files.errors import FileError, refused

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# The end-of-central-directory record a ZIP reader looks for in the last 64 KiB.
_ZIP_EOCD = b"PK\x05\x06"
_ZIP_TAIL = 65_535 + 22
_MARKUP = re.compile(rb"<\s*(script|html|svg|iframe|body|object|embed)\b|<\?php", re.IGNORECASE)
# PDF names that run code, open other files or carry files; ``#xx`` escapes are decoded first.
_PDF_ACTIVE = {
    b"/JavaScript",
    b"/JS",
    b"/Launch",
    b"/EmbeddedFile",
    b"/EmbeddedFiles",
    b"/RichMedia",
    b"/XFA",
    b"/SubmitForm",
    b"/ImportData",
    b"/GoToE",
}
_PDF_NAME = re.compile(rb"/[A-Za-z0-9#]+")
_PDF_VERSION = re.compile(rb"^%PDF-[12]\.\d")
_PDF_STREAM = re.compile(rb"\bstream\r?\n")
_PDF_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9#]+)")
# An object stream expands at most this much per compressed byte, and to at most this in all (a bomb stops here).
_PDF_INFLATE_RATIO = 100
_PDF_INFLATE_MAX = 64 * 1024 * 1024


def sniff(head: bytes) -> str | None:
    """The content type from the first bytes, for the few types we accept; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return policies.JPEG
    if head.startswith(_PNG_MAGIC):
        return policies.PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return policies.WEBP
    if head.startswith(b"%PDF-"):
        return policies.PDF
    return None


def check_structure(data: bytes, content_type: str) -> None:
    """The file ends where its format says, and carries nothing a browser or unzip would find.

    For images the look for markup or a ZIP is confined to metadata (comments,
    text chunks, EXIF/XMP): compressed pixel data is random-looking, where
    short byte patterns turn up by chance.
    """
    if content_type == policies.PDF:
        _check_pdf(data)
        if _ZIP_EOCD in data[-_ZIP_TAIL:]:
            raise _polyglot()
        return
    if content_type == policies.PNG:
        metadata = _check_png(data)
    elif content_type == policies.JPEG:
        metadata = _check_jpeg(data)
    else:
        metadata = _check_webp(data)
    if _ZIP_EOCD in metadata or _MARKUP.search(metadata):
        raise _polyglot()


def _polyglot() -> Exception:
    return refused(FileError.POLYGLOT, "The file carries content of another type.")


def _corrupt() -> Exception:
    return refused(FileError.CORRUPT, "The file is damaged or truncated.")


# PNG chunks that hold pixels or plain numbers; anything else (text, EXIF, unknown) is metadata to look into.
_PNG_BINARY = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"pHYs", b"sBIT", b"bKGD",
               b"hIST", b"tIME", b"acTL", b"fcTL", b"fdAT", b"iCCP", b"sPLT"}  # fmt: skip


def _check_png(data: bytes) -> bytes:
    """Walk the chunks: each CRC right, IEND last, nothing after it. Returns the metadata chunks' bytes."""
    offset, size, metadata = len(_PNG_MAGIC), len(data), []
    while True:
        if offset + 12 > size:
            raise _corrupt()
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunk_type = data[offset + 4 : offset + 8]
        end = offset + 12 + length
        if length > size or end > size:
            raise _corrupt()
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[offset + 4 : end - 4]) & 0xFFFFFFFF != crc:
            raise _corrupt()
        if chunk_type not in _PNG_BINARY:
            metadata.append(data[offset + 8 : end - 4])
        offset = end
        if chunk_type == b"IEND":
            break
    if offset != size:
        raise _polyglot()
    return b"".join(metadata)


def _check_jpeg(data: bytes) -> bytes:
    """Ends with its EOI marker (bytes after it are another file riding along). Returns COM and APPn segments."""
    if not data.endswith(b"\xff\xd9"):
        # Truncated, or something appended: tell them apart by whether an EOI exists at all.
        raise _polyglot() if b"\xff\xd9" in data[-_ZIP_TAIL:] else _corrupt()
    offset, size, metadata = 2, len(data), []
    while offset + 4 <= size:
        if data[offset] != 0xFF:
            raise _corrupt()
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            offset += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or start of scan: pixel data follows
            break
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if length < 2 or offset + 2 + length > size:
            raise _corrupt()
        if marker == 0xFE or 0xE0 <= marker <= 0xEF:
            metadata.append(data[offset + 4 : offset + 2 + length])
        offset += 2 + length
    return b"".join(metadata)


_WEBP_BINARY = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}


def _check_webp(data: bytes) -> bytes:
    """The RIFF header states the file's length; it must be exactly the file. Returns EXIF, XMP and unknown chunks."""
    (riff_size,) = struct.unpack("<I", data[4:8])
    expected = riff_size + 8
    if expected > len(data):
        raise _corrupt()
    if expected != len(data):
        raise _polyglot()
    offset, metadata = 12, []
    while offset + 8 <= expected:
        kind = data[offset : offset + 4]
        (length,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        end = offset + 8 + length
        if end > expected:
            raise _corrupt()
        if kind not in _WEBP_BINARY:
            metadata.append(data[offset + 8 : end])
        offset = end + (length & 1)  # chunks are padded to an even size
    return b"".join(metadata)


def _check_pdf(data: bytes) -> None:
    """A PDF from offset 0 to its last %%EOF, with no JavaScript, launch actions or embedded files."""
    if not _PDF_VERSION.match(data):
        raise _corrupt()
    end = data.rfind(b"%%EOF")
    if end < 0:
        raise _corrupt()
    if data[end + 5 :].strip(b"\r\n\t \x00"):
        raise _polyglot()
    for part in (data, *_pdf_object_streams(data)):
        names = {_decode_pdf_name(name) for name in _PDF_NAME.findall(part)}
        if names & _PDF_ACTIVE:
            raise refused(FileError.ACTIVE_CONTENT, "PDFs with scripts, actions or embedded files are not accepted.")


def _pdf_object_streams(data: bytes) -> list[bytes]:
    """The objects packed in compressed object streams (``/Type /ObjStm``), inflated.

    PDF 1.5 lets objects (an ``/OpenAction`` with ``/JS`` among them) live inside a
    Flate-compressed stream, where a scan of the raw bytes cannot see their names.
    Each object stream is inflated, within a size budget, and handed back to be
    scanned like the rest. One with another filter, or that does not inflate, is
    refused: we cannot see what it holds.
    """
    inflated: list[bytes] = []
    budget = min(_PDF_INFLATE_MAX, max(len(data), 1) * _PDF_INFLATE_RATIO)
    for match in _PDF_STREAM.finditer(data):
        header_start = data.rfind(b"obj", max(0, match.start() - 4096), match.start())
        header = _decode_pdf_name(data[header_start if header_start >= 0 else match.start() : match.start()])
        if b"/ObjStm" not in header:
            continue
        end = data.find(b"endstream", match.end())
        if end < 0:
            raise _corrupt()
        body = data[match.end() : end]
        filters = _PDF_FILTER.search(header)
        names = _PDF_NAME.findall(filters.group(1)) if filters else []
        if names not in ([], [b"/FlateDecode"], [b"/Fl"]):
            raise refused(FileError.ACTIVE_CONTENT, "PDFs with object streams we cannot read are not accepted.")
        if not names:
            inflated.append(body)
            continue
        inflater = zlib.decompressobj()
        try:
            chunk = inflater.decompress(body, budget + 1)
        except zlib.error:
            raise _corrupt() from None
        if len(chunk) > budget or inflater.unconsumed_tail:
            raise refused(FileError.ACTIVE_CONTENT, "PDFs with object streams this large are not accepted.")
        budget -= len(chunk)
        inflated.append(chunk)
    return inflated


def _decode_pdf_name(name: bytes) -> bytes:
    """``/J#61vaScript`` is ``/JavaScript``: decode the escapes a PDF name (or a run of them) may use."""
    if b"#" not in name:
        return name
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda match: bytes([int(match.group(1), 16)]), name)
