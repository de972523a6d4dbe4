"""Serializer building blocks shared by every app."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from guardiannest.errors import ApplicationError
from guardiannest.text import clean_text


class StrictInputMixin:
    """Refuse keys the serializer does not know, instead of silently ignoring them.

    Read-only fields are known: sending ``role`` to a PATCH leaves it unchanged,
    sending ``rol`` is a typo the client should hear about.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(self.fields)  # type: ignore[attr-defined]
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(StrictInputMixin, serializers.Serializer):
    pass


class CleanTextField(serializers.CharField):
    """Free text a person writes, stored as plain text: see :func:`guardiannest.text.clean_text`.

    ``max_length`` is required and bounds the cleaned text. ``multiline=False``
    is for names and other one-line values. A value that cleans to nothing
    (``<script>…</script>``) is blank, refused unless ``allow_blank``.
    """

    def __init__(self, *, max_length: int, multiline: bool = True, **kwargs: Any) -> None:
        self.multiline = multiline
        kwargs["trim_whitespace"] = False  # clean_text trims, after it has normalised line endings
        super().__init__(max_length=max_length, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        try:
            value = clean_text(
                super().to_internal_value(data),
                field=self.field_name or "text",
                max_length=self.max_length or 0,
                multiline=self.multiline,
            )
        except ApplicationError as refused:  # the message goes under this field, wherever it is nested
            raise serializers.ValidationError(refused.detail) from refused
        if value == "" and not self.allow_blank:
            self.fail("blank")
        return value
