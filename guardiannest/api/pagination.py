"""Lists answer ``{"results": [...], "next": url|null, "previous": url|null}``.

Cursor pagination: stable under inserts, no COUNT(*), and an opaque cursor a
client cannot use to jump into someone else's range.
"""

from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"
