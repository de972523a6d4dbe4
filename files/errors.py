"""Error codes of the files app, each with the kind of refusal it is, and the one way an upload is refused."""

from __future__ import annotations

from guardiannest.errors import ApplicationError, ErrorCodes, Refusal


class FileError(ErrorCodes):
    FILE_TOO_LARGE = "file_too_large", Refusal.TOO_LARGE
    IMAGE_TOO_LARGE = "image_too_large", Refusal.TOO_LARGE
    UNSUPPORTED_TYPE = "unsupported_file_type", Refusal.UNSUPPORTED
    TYPE_NOT_ALLOWED = "file_type_not_allowed", Refusal.UNSUPPORTED
    POLYGLOT = "file_polyglot", Refusal.UNSUPPORTED
    ACTIVE_CONTENT = "file_active_content", Refusal.UNSUPPORTED
    CORRUPT = "file_corrupt", Refusal.INVALID
    EMPTY = "file_empty", Refusal.INVALID
    NAME_INVALID = "file_name_invalid", Refusal.INVALID
    # A genuine link past its time: forbidden (not "not found") so the app knows to fetch a fresh one.
    LINK_EXPIRED = "file_link_expired", Refusal.FORBIDDEN


def refused(code: FileError, detail: str) -> ApplicationError:
    """An upload refused for what it is; ``errors`` names the field so a client can show it."""
    return ApplicationError(code, detail, errors={"file": [detail]})
