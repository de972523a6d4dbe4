"""Serializer building blocks shared by every app."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


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
