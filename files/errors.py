"""Error codes of the files app and the answers they give."""

from __future__ import annotations

from enum import StrEnum

from rest_framework import status

from guardiannest.api.errors import ApplicationError


class FileError(StrEnum):
    FILE_TOO_LARGE = "file_too_large"
    IMAGE_TOO_LARGE = "image_too_large"
    UNSUPPORTED_TYPE = "unsupported_file_type"
    TYPE_NOT_ALLOWED = "file_type_not_allowed"
    POLYGLOT = "file_polyglot"
    ACTIVE_CONTENT = "file_active_content"
    CORRUPT = "file_corrupt"
    EMPTY = "file_empty"
    NAME_INVALID = "file_name_invalid"
    LINK_INVALID = "file_link_invalid"
    LINK_EXPIRED = "file_link_expired"


def refused(code: FileError, detail: str, http_status: int) -> ApplicationError:
    """An upload refused for what it is; ``errors`` names the field so a client can show it."""
    return ApplicationError(code, detail, status=http_status, errors={"file": [detail]})


def too_large(detail: str) -> ApplicationError:
    return refused(FileError.FILE_TOO_LARGE, detail, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


def bad_type(code: FileError, detail: str) -> ApplicationError:
    return refused(code, detail, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)


def invalid(code: FileError, detail: str) -> ApplicationError:
    return refused(code, detail, status.HTTP_400_BAD_REQUEST)
