"""Serializer building blocks shared by every app."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from guardiannest.api.parsers import JSONObject
from guardiannest.errors import ApplicationError
from guardiannest.text import clean_text

# In a JSON body each field takes the JSON type its schema names: DRF alone would take 0 for a text field,
# "5" for a number and "yes" for a boolean, which the schema (and a generated client) never promised.
_JSON_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "Must be true or false."),
    (serializers.CharField, (str,), "Must be a string."),
    (serializers.IntegerField, (int,), "Must be a whole number."),
    (serializers.FloatField, (int, float), "Must be a number."),
)


def _json_type_error(field: serializers.Field, value: Any) -> str | None:
    if value is None:
        return None  # null is the field's own business (allow_null)
    for kind, types, message in _JSON_TYPES:
        if isinstance(field, kind):
            wrong = not isinstance(value, types) or (bool not in types and isinstance(value, bool))
            return message if wrong else None
    return None


class StrictInputMixin:
    """Refuse keys the serializer does not know, instead of silently ignoring them, and JSON values of the wrong type.

    Read-only fields are known: sending ``role`` to a PATCH leaves it unchanged,
    sending ``rol`` is a typo the client should hear about. In a JSON body
    (:class:`~guardiannest.api.parsers.JSONObject`; not a form or a query string,
    whose values are all text) text, whole-number, number and true/false
    fields take only their JSON type.

    Two rules about which keys come together, declared here so the schema states them too:

    * ``one_of = ("a", "b")``: exactly one of them is sent (``oneOf`` in the schema);
    * ``any_of = ("a", "b")``: at least one of them is sent and not blank (``anyOf``).

    ``guardiannest.api.schema.AutoSchema`` closes the body of every strict
    serializer (``additionalProperties: false``) and writes both rules into it.
    """

    one_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            fields = self.fields  # type: ignore[attr-defined]
            errors = {str(key): ["Unknown field."] for key in data if key not in fields}
            if isinstance(data, JSONObject):
                for name, value in data.items():
                    field = fields.get(name)
                    message = None if field is None or field.read_only else _json_type_error(field, value)
                    if message:
                        errors[str(name)] = [message]
            if errors:
                raise serializers.ValidationError(dict(sorted(errors.items())))
        attrs = super().to_internal_value(data)  # type: ignore[misc]
        if self.one_of and sum(name in attrs for name in self.one_of) != 1:
            raise serializers.ValidationError({"non_field_errors": [f"Send either {' or '.join(self.one_of)}."]})
        if self.any_of and not any(attrs.get(name) not in (None, "") for name in self.any_of):
            raise serializers.ValidationError({self.any_of[0]: [f"Send {' or '.join(self.any_of)}."]})
        return attrs


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
