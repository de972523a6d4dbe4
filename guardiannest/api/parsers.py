"""JSON and multipart bodies, refused before they are read when they are too large."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles

from guardiannest.api.exceptions import RequestTooLarge


def refuse_longer_than(request: Any, limit: int | None) -> None:
    """413 from the declared length, before a byte of the body is read."""
    if request is None or limit is None:
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise RequestTooLarge()


class JSONObject(dict[str, Any]):
    """A JSON object as a client sent it in a request body (strict serializers check its values' JSON types)."""


class JSONParser(parsers.JSONParser):
    """JSON bodies: an object or an array, as every request body in the schema is; ``null`` or ``3`` is a 400.

    Objects arrive as :class:`JSONObject`, so a serializer can tell a body's JSON types from a query
    string's text (``guardiannest.api.serializers.StrictInputMixin``).
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        refuse_longer_than((parser_context or {}).get("request"), settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        try:
            data = _marked(super().parse(stream, media_type, parser_context))
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
        if not isinstance(data, dict | list):
            raise ParseError("The body must be a JSON object.")
        return data


def _marked(value: Any) -> Any:
    """``value`` with each JSON object in it made a :class:`JSONObject`."""
    if isinstance(value, dict):
        return JSONObject((key, _marked(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_marked(item) for item in value]
    return value


class FormParser(parsers.FormParser):
    """Form bodies (webhooks such as Twilio's), refused before they are read when too large."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        refuse_longer_than((parser_context or {}).get("request"), settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return super().parse(stream, media_type, parser_context)


class _NameCheckingParser(DjangoMultiPartParser):
    """Django's multipart parser, remembering which file names it had to clean.

    Django strips paths and control characters from upload names (so
    ``../../etc/x.png`` arrives as ``x.png``); a name that needed cleaning was
    a trick, and the view may refuse the upload for it. A name Django would
    drop altogether (``..``) is kept as ``upload`` so the refusal can say why.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unsafe_names: set[str] = set()

    def sanitize_file_name(self, file_name: str) -> str | None:
        cleaned = super().sanitize_file_name(file_name)
        if cleaned != file_name:
            cleaned = cleaned or "upload"
            self.unsafe_names.add(cleaned)
        return cleaned


class MultiPartParser(parsers.MultiPartParser):
    """Multipart bodies, refused before they are read when Content-Length is over the view's limit.

    The limit is the view's ``max_body_bytes`` (the files upload sets it from
    its purposes' limits), else ``MULTIPART_MAX_BYTES``. Each uploaded file gets
    ``name_was_unsafe`` (see ``_NameCheckingParser``).
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        context = parser_context or {}
        request, view = context.get("request"), context.get("view")
        default_limit: int = getattr(settings, "MULTIPART_MAX_BYTES", 10 * 1024 * 1024)
        limit: int = getattr(view, "max_body_bytes", None) or default_limit
        if request is None:
            return super().parse(stream, media_type, parser_context)
        refuse_longer_than(request, limit)
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            parser = _NameCheckingParser(
                meta, stream, request.upload_handlers, str(context.get("encoding", settings.DEFAULT_CHARSET))
            )
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        for field in files:
            for upload in files.getlist(field):
                upload.name_was_unsafe = upload.name in parser.unsafe_names
        return DataAndFiles(data, files)
