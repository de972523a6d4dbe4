"""Lists answer ``{"results": [...], "next": url|null, "previous": url|null}``.

Cursor pagination: stable under inserts, no COUNT(*), and an opaque cursor a
client cannot use to jump into someone else's range.

``page_size`` is parsed strictly: a whole number from 1 to ``max_page_size``,
given once, or the list answers 400 naming it (DRF would quietly fall back to
the default for ``page_size=null`` or ``0``). The schema declares the range, so
every list that uses this class documents what it accepts.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import pagination, serializers
from rest_framework.request import Request

_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


def page_size_of(request: Request, name: str, *, default: int, maximum: int) -> int:
    """The page size a client asked for in query parameter ``name`` (absent: ``default``); 400 unless 1..maximum."""
    values = request.query_params.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        raise serializers.ValidationError({name: ["Give this parameter once."]})
    if not _WHOLE_NUMBER.fullmatch(values[0]) or not 1 <= int(values[0]) <= maximum:
        raise serializers.ValidationError({name: [f"A whole number from 1 to {maximum}."]})
    return int(values[0])


class CursorPagination(pagination.CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"

    def get_page_size(self, request: Request) -> int:
        return page_size_of(request, self.page_size_query_param, default=self.page_size, maximum=self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
                parameter["description"] = (
                    f"Number of results per page, 1 to {self.max_page_size} ({self.page_size} when absent)."
                )
        return parameters
